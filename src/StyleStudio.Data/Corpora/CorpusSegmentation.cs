namespace StyleStudio.Data.Corpora;

/// <summary>How a file's text becomes a corpus's texts.</summary>
public enum CorpusSegmentation
{
    /// <summary>One text per paragraph (the default): a line, a blank-line separated block, a Word paragraph, a PDF text block.</summary>
    Paragraphs,
    /// <summary>Each paragraph split into sentences by <see cref="TextSegmenter"/>.</summary>
    Sentences,
    /// <summary>
    /// Every non-empty line of a .txt file is one text exactly (trimmed), whatever the file's layout: what line-aligned
    /// files (line n of one file translates line n of another) need. For a one-paragraph-per-line file it equals
    /// <see cref="Paragraphs"/>; for a blank-line separated one it keeps the wrapped lines apart. Other formats have no
    /// lines of their own, so there it equals <see cref="Paragraphs"/>.
    /// </summary>
    Lines,
}

public static class CorpusSegmentations
{
    /// <summary>The names the CLI, the studio and the store use: paragraphs, sentences, lines.</summary>
    public static readonly IReadOnlyList<string> Names = ["paragraphs", "sentences", "lines"];

    public static string Name(this CorpusSegmentation segmentation) => segmentation.ToString().ToLowerInvariant();

    public static CorpusSegmentation Parse(string name) => Names.Contains(name.Trim().ToLowerInvariant())
        ? Enum.Parse<CorpusSegmentation>(name.Trim(), ignoreCase: true)
        : throw new ArgumentException($"unknown segmentation '{name}'; choose {string.Join(", ", Names)}");
}
