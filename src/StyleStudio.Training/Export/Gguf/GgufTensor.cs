namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// A tensor to be written: its llama.cpp name, its shape in PyTorch order (outermost first; the file stores the reverse),
/// its ggml type and a callback that writes exactly <see cref="ByteLength"/> bytes of row-major data. The data is produced
/// only when the writer reaches it, so a model never has to sit in memory whole.
/// </summary>
public sealed record GgufTensor(string Name, long[] Shape, GgmlType Type, Action<Stream> WriteData)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public long ByteLength => ElementCount * GgmlTypes.ElementSize(Type);
}
