using LLama;
using LLama.Native;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Quantizes an F16 GGUF with llama.cpp's own quantizer (<c>llama_model_quantize</c>, through LLamaSharp): q8_0 and q4_0
/// are simple block formats, but q4_k_m is a per-tensor recipe (some tensors get q6_k, rows that do not fit 256-wide
/// super-blocks fall back to other types) that only llama.cpp's implementation is sure to get right.
/// </summary>
public static class LlamaCppQuantizer
{
    /// <summary>The block width each simple type packs rows into; a row of another length cannot be stored in it.</summary>
    public static int? RequiredRowMultiple(GgufExportType type) => type is GgufExportType.Q8_0 or GgufExportType.Q4_0 ? 32 : null;

    public static void Quantize(string f16Path, string outputPath, GgufExportType type)
    {
        var ftype = type switch
        {
            GgufExportType.Q8_0 => LLamaFtype.MOSTLY_Q8_0,
            GgufExportType.Q4_0 => LLamaFtype.MOSTLY_Q4_0,
            GgufExportType.Q4_K_M => LLamaFtype.MOSTLY_Q4_K_M,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a quantized type"),
        };
        LlamaCppRuntime.EnsureLoaded();
        // allowRequantize off: the input is F16, nothing is requantized; quantizeOutputTensor on, as llama-quantize defaults:
        // the output tensor takes the type the recipe gives it (q6_k in q4_k_m) instead of staying F16.
        if (!LLamaQuantizer.Quantize(f16Path, outputPath, ftype, nthread: Environment.ProcessorCount, allowRequantize: false, quantizeOutputTensor: true))
            throw new InvalidOperationException($"llama.cpp could not quantize {f16Path} to {type.Name()}: {string.Join(" / ", LlamaCppRuntime.RecentWarnings.TakeLast(3))}");
    }
}
