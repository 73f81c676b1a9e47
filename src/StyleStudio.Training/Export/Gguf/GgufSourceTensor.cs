using static TorchSharp.torch;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// A tensor of the exported model before its GGUF type is chosen: llama.cpp's name, the shape in PyTorch order, and how to
/// produce it as a float32 CPU tensor already in llama.cpp's layout (rows permuted, extras computed).
/// </summary>
public sealed record GgufSourceTensor(string Name, long[] Shape, Func<Tensor> Load)
{
    /// <summary>
    /// The converter's rule, which llama.cpp's kernels rely on: 1-D tensors (norms, biases, rope factors) and any
    /// <c>*_norm.weight</c> stay F32 whatever the requested type; only 2-D weights take it.
    /// </summary>
    public GgmlType TypeFor(GgmlType requested) =>
        Shape.Length <= 1 || Name.EndsWith("_norm.weight", StringComparison.Ordinal) || !Name.EndsWith(".weight", StringComparison.Ordinal)
            ? GgmlType.F32 : requested;
}
