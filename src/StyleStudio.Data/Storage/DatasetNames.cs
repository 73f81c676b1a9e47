namespace StyleStudio.Data.Storage;

/// <summary>
/// What a dataset may be called: names appear in URLs, in CLI arguments and in LLaMA-Factory's dataset_info.json, so
/// they must be non-empty, single-line and free of path separators; any script (Chinese included) is fine.
/// </summary>
public static class DatasetNames
{
    public const int MaxLength = 100;

    /// <summary>The name, or an <see cref="ArgumentException"/> saying what is wrong with it.</summary>
    public static string Check(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a dataset name cannot be empty");
        if (name != name.Trim()) throw new ArgumentException($"dataset name '{name}' starts or ends with spaces");
        if (name.Length > MaxLength) throw new ArgumentException($"dataset name is {name.Length} characters long; the limit is {MaxLength}");
        if (name.IndexOfAny(['/', '\\']) is var slash and >= 0)
            throw new ArgumentException($"dataset name '{name}' contains '{name[slash]}'; path separators are not allowed");
        int control = Array.FindIndex(name.ToCharArray(), char.IsControl);
        if (control >= 0) throw new ArgumentException($"dataset name contains a control character (U+{(int)name[control]:X4}) at position {control + 1}");
        if (name is "." or "..") throw new ArgumentException($"'{name}' cannot be a dataset name");
        return name;
    }
}
