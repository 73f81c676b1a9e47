namespace StyleStudio.Training.Checkpoints;

/// <summary>
/// A model folder that cannot be loaded: names the file and, where it applies, the tensor or config field, so the user
/// can tell a truncated download from a wrong config from an unsupported architecture.
/// </summary>
public sealed class ModelLoadException(string file, string? item, string reason)
    : Exception(item is null ? $"{file}: {reason}" : $"{file}: {item}: {reason}")
{
    /// <summary>The file at fault.</summary>
    public string File { get; } = file;

    /// <summary>The tensor or config field at fault, if any.</summary>
    public string? Item { get; } = item;
}
