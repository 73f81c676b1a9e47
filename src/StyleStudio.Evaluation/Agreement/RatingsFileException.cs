namespace StyleStudio.Evaluation.Agreement;

/// <summary>
/// A ratings table that cannot be used, naming the file, the line and why. An <see cref="ArgumentException"/> because the
/// table is the caller's input: the CLI and the studio treat it as a user error and show the message as it is.
/// </summary>
public sealed class RatingsFileException(string path, long line, string reason)
    : ArgumentException(line > 0 ? $"{path} line {line}: {reason}" : $"{path}: {reason}")
{
    public string Path { get; } = path;

    /// <summary>1-based line of the file (the header is line 1); 0 when the problem is the whole file.</summary>
    public long Line { get; } = line;

    public string Reason { get; } = reason;
}
