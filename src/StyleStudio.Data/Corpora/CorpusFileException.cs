namespace StyleStudio.Data.Corpora;

/// <summary>A file that gives no corpus: its kind is unknown, it is damaged, empty, or holds no text (a scanned PDF).
/// The message names the file and says why.</summary>
public sealed class CorpusFileException(string file, string reason, Exception? inner = null)
    : Exception($"{Path.GetFileName(file)}: {reason}", inner)
{
    public string File { get; } = file;
    public string Reason { get; } = reason;
}
