using System.Text;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Writes the GGUF v3 container: header, typed metadata, tensor infos, then the tensor data, each piece aligned to 32 bytes.
/// Written by hand because no .NET package we can use writes GGUF (LLamaSharp reads it through llama.cpp but cannot
/// create one); the layout follows llama.cpp's docs/gguf.md and gguf-py's writer. Everything is little-endian.
/// </summary>
public static class GgufFileWriter
{
    /// <summary>llama.cpp's default <c>general.alignment</c>; not written to the file, as the converter does not.</summary>
    public const int Alignment = 32;

    const uint Version = 3;
    static readonly byte[] Magic = "GGUF"u8.ToArray();

    /// <summary>
    /// Writes the file to <paramref name="stream"/>; <paramref name="tensorWritten"/> is told after each tensor's data
    /// (its index and the bytes written so far) so a caller can report progress.
    /// </summary>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, GgufValue>> metadata, IReadOnlyList<GgufTensor> tensors,
        Action<int, long>? tensorWritten = null, CancellationToken cancellation = default)
    {
        var duplicate = tensors.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1)?.Key
            ?? metadata.GroupBy(m => m.Key).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
            throw new InvalidOperationException($"GGUF export: '{duplicate}' would be written twice");

        var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        output.Write(Magic);
        output.Write(Version);
        output.Write((ulong)tensors.Count);
        output.Write((ulong)metadata.Count);
        foreach (var (key, value) in metadata)
        {
            WriteString(output, key);
            output.Write((uint)value.Type);
            WriteValue(output, key, value);
        }

        long offset = 0;
        foreach (var tensor in tensors)
        {
            WriteString(output, tensor.Name);
            output.Write((uint)tensor.Shape.Length);
            foreach (long dimension in tensor.Shape.Reverse()) output.Write((ulong)dimension); // ggml's ne[0] is the innermost
            output.Write((uint)tensor.Type);
            output.Write((ulong)offset);
            offset += Aligned(tensor.ByteLength);
        }
        output.Flush();
        Pad(stream);

        long written = 0;
        for (int i = 0; i < tensors.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var tensor = tensors[i];
            long start = stream.Position;
            tensor.WriteData(stream);
            long length = stream.Position - start;
            if (length != tensor.ByteLength)
                throw new InvalidOperationException($"GGUF export: tensor {tensor.Name} wrote {length} bytes, expected {tensor.ByteLength}");
            Pad(stream);
            written += length;
            tensorWritten?.Invoke(i, written);
        }
    }

    static long Aligned(long length) => (length + Alignment - 1) / Alignment * Alignment;

    static void Pad(Stream stream)
    {
        int padding = (int)(Aligned(stream.Position) - stream.Position);
        if (padding > 0) stream.Write(new byte[padding]);
    }

    static void WriteString(BinaryWriter output, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
    }

    static void WriteValue(BinaryWriter output, string key, GgufValue value)
    {
        if (value.Type != GgufValueType.Array)
        {
            WriteScalar(output, key, value.Type, value.Value);
            return;
        }
        var items = (System.Collections.ICollection)value.Value;
        output.Write((uint)value.ElementType);
        output.Write((ulong)items.Count);
        foreach (var item in items) WriteScalar(output, key, value.ElementType, item!);
    }

    static void WriteScalar(BinaryWriter output, string key, GgufValueType type, object value)
    {
        switch (type, value)
        {
            case (GgufValueType.UInt8, byte v): output.Write(v); break;
            case (GgufValueType.Int8, sbyte v): output.Write(v); break;
            case (GgufValueType.UInt16, ushort v): output.Write(v); break;
            case (GgufValueType.Int16, short v): output.Write(v); break;
            case (GgufValueType.UInt32, uint v): output.Write(v); break;
            case (GgufValueType.Int32, int v): output.Write(v); break;
            case (GgufValueType.Float32, float v): output.Write(v); break;
            case (GgufValueType.Bool, bool v): output.Write((byte)(v ? 1 : 0)); break;
            case (GgufValueType.String, string v): WriteString(output, v); break;
            case (GgufValueType.UInt64, ulong v): output.Write(v); break;
            case (GgufValueType.Int64, long v): output.Write(v); break;
            case (GgufValueType.Float64, double v): output.Write(v); break;
            default:
                throw new InvalidOperationException($"GGUF metadata {key}: a {value.GetType().Name} cannot be written as {type}");
        }
    }
}
