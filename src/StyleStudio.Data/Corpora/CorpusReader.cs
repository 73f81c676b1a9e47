namespace StyleStudio.Data.Corpora;

/// <summary>
/// Reads a file of unpaired text — .txt, .md, .docx, .pdf — into paragraphs, sentences or lines. The entry point for
/// everything that takes raw text in (corpus import, pair mining's source files).
/// <para>Errors name the file and say why: <see cref="CorpusFileException"/> (unknown kind, damaged, empty, no text layer),
/// <see cref="Import.SourceFormatException"/> (bytes not valid in the encoding, with line and byte), <see cref="ArgumentException"/>
/// (an unknown encoding name), <see cref="FileNotFoundException"/>. Plain text is read lazily (errors surface while
/// enumerating, and a huge file never sits in memory whole); Word and PDF files are read when enumeration starts.</para>
/// </summary>
public static class CorpusReader
{
    /// <summary>The extensions read, for file pickers: .txt .text .md .markdown .docx .pdf.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".txt", ".text", ".md", ".markdown", ".docx", ".pdf"];

    /// <summary>The file's paragraphs, trimmed, none empty, in order (see <see cref="CorpusSegmentation.Paragraphs"/>).</summary>
    /// <param name="encoding">For .txt and .md: one of <see cref="Import.TextEncodings.Names"/>; null detects it. Ignored for .docx and .pdf.</param>
    public static IEnumerable<string> ReadParagraphs(string path, string? encoding = null) => Kind(path) switch
    {
        FileKind.Text => PlainTextReader.Paragraphs(path, encoding),
        FileKind.Markdown => Deferred(() => MarkdownReader.Paragraphs(path, encoding)),
        FileKind.Word => Deferred(() => DocxReader.Paragraphs(path)),
        _ => Deferred(() => PdfReader.Paragraphs(path)),
    };

    /// <summary>Every non-empty line of a .txt file, trimmed, exactly one text each; the paragraphs of other kinds of file.</summary>
    public static IEnumerable<string> ReadLines(string path, string? encoding = null) =>
        Kind(path) == FileKind.Text ? PlainTextReader.Lines(path, encoding) : ReadParagraphs(path, encoding);

    /// <summary>The file's paragraphs split into sentences by <see cref="TextSegmenter.Sentences"/>.</summary>
    public static IEnumerable<string> ReadSentences(string path, string? encoding = null) =>
        ReadParagraphs(path, encoding).SelectMany(TextSegmenter.Sentences);

    /// <summary>The file's texts as <paramref name="segmentation"/> cuts them.</summary>
    public static IEnumerable<string> Read(string path, CorpusSegmentation segmentation, string? encoding = null) => segmentation switch
    {
        CorpusSegmentation.Sentences => ReadSentences(path, encoding),
        CorpusSegmentation.Lines => ReadLines(path, encoding),
        _ => ReadParagraphs(path, encoding),
    };

    enum FileKind { Text, Markdown, Word, Pdf }

    /// <summary>The kind of file by its extension, after checking that it exists and is not empty.</summary>
    static FileKind Kind(string path)
    {
        var kind = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".txt" or ".text" => FileKind.Text,
            ".md" or ".markdown" => FileKind.Markdown,
            ".docx" => FileKind.Word,
            ".pdf" => FileKind.Pdf,
            ".doc" => throw new CorpusFileException(path, "the old binary Word format (.doc) is not read; save it as .docx"),
            var other => throw new CorpusFileException(path, $"unknown kind of file '{(other.Length > 0 ? other : "(no extension)")}'; " +
                                                             $"corpora are read from {string.Join(", ", Extensions)}"),
        };
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"{path}: file not found", path);
        if (file.Length == 0) throw new CorpusFileException(path, "the file is empty");
        return kind;
    }

    /// <summary>Reads when enumeration starts, as plain text does, so every kind of file fails at the same moment.</summary>
    static IEnumerable<string> Deferred(Func<IEnumerable<string>> read)
    {
        foreach (var text in read()) yield return text;
    }
}
