namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// The ggml tensor types this exporter writes itself, numbered as ggml's <c>ggml_type</c> enum. Quantized types are never
/// written here: llama.cpp's quantizer produces them from an F16 file (see <see cref="LlamaCppQuantizer"/>).
/// </summary>
public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    BF16 = 30,
}

public static class GgmlTypes
{
    public static int ElementSize(GgmlType type) => type switch
    {
        GgmlType.F32 => 4,
        GgmlType.F16 or GgmlType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a type this writer produces"),
    };
}
