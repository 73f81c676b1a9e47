namespace StyleStudio.Training.Export.Gguf;

/// <summary>The weight types <c>stylestudio export --type</c> offers.</summary>
public enum GgufExportType { F16, BF16, Q8_0, Q4_0, Q4_K_M }

public static class GgufExportTypes
{
    public static IReadOnlyList<string> Names { get; } = ["f16", "bf16", "q8_0", "q4_0", "q4_k_m"];

    public static string Name(this GgufExportType type) => type.ToString().ToLowerInvariant();

    public static GgufExportType Parse(string name) =>
        Enum.TryParse<GgufExportType>(name, ignoreCase: true, out var type) && Names.Contains(name.ToLowerInvariant())
            ? type
            : throw new ArgumentException($"--type '{name}' is not a GGUF type this exporter writes; choose one of {string.Join(", ", Names)}");

    /// <summary>What the exporter itself writes: the type, or F16 as the input of llama.cpp's quantizer.</summary>
    public static GgmlType WrittenType(this GgufExportType type) => type switch
    {
        GgufExportType.BF16 => GgmlType.BF16,
        _ => GgmlType.F16,
    };

    public static bool IsQuantized(this GgufExportType type) => type is GgufExportType.Q8_0 or GgufExportType.Q4_0 or GgufExportType.Q4_K_M;

    /// <summary>llama.cpp's <c>general.file_type</c> (llama_ftype) for the types written here.</summary>
    public static uint FileType(this GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
