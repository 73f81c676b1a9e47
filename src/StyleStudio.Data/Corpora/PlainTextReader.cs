using System.Text;
using StyleStudio.Data.Import;

namespace StyleStudio.Data.Corpora;

/// <summary>
/// Plain text (.txt) in any encoding the dataset importer detects (UTF-8, UTF-16 with or without BOM, GB18030/GBK), in
/// either common layout, decided per file:
/// <list type="bullet">
/// <item>one paragraph per line — each non-empty line is a paragraph (blank lines between them change nothing);</item>
/// <item>blank-line separated — paragraphs hard-wrapped over several lines with blank lines between; a block's lines are
/// joined (Chinese without a space, English with one, hyphenated words rejoined).</item>
/// </list>
/// A file is blank-line separated when it has blocks of several lines and those blocks' lines mostly stop mid-sentence
/// (wrapped). A one-paragraph-per-line file with a blank line between chapters has blocks of several lines too, but its
/// lines end like paragraphs do (。！？.!?”…), so its lines stay apart.
/// Both passes stream the file: a corpus may be far larger than memory should hold at once.
/// </summary>
static class PlainTextReader
{
    const string ParagraphEnds = "。！？；…⋯.!?;:：」』”’\"')）》】";

    /// <summary>Every line as decoded (line ends removed, a byte-order mark dropped), blank ones included.</summary>
    public static IEnumerable<string> AllLines(string path, string? encoding)
    {
        var (name, bom) = Encoding(path, encoding);
        bool first = true;
        foreach (var (_, utf8, _) in LineReader.Read(path, name, bom))
        {
            var line = System.Text.Encoding.UTF8.GetString(utf8.Span);
            if (first && line.StartsWith('\uFEFF')) line = line[1..];   // a BOM the user's --encoding read as a character
            first = false;
            yield return line;
        }
    }

    /// <summary>Every non-empty line, trimmed.</summary>
    public static IEnumerable<string> Lines(string path, string? encoding) =>
        AllLines(path, encoding).Select(l => l.Trim()).Where(l => l.Length > 0);

    public static IEnumerable<string> Paragraphs(string path, string? encoding)
    {
        if (!IsBlankLineSeparated(AllLines(path, encoding)))
        {
            foreach (var line in Lines(path, encoding)) yield return line;
            yield break;
        }
        var block = new List<string>();
        foreach (var line in AllLines(path, encoding))
        {
            if (line.Trim().Length > 0)
            {
                block.Add(line);
                continue;
            }
            if (block.Count > 0) yield return Scripts.JoinLines(block);
            block.Clear();
        }
        if (block.Count > 0) yield return Scripts.JoinLines(block);
    }

    /// <summary>
    /// Blank lines between non-empty ones, and blocks of several lines whose lines (but the last of each) mostly end
    /// mid-sentence. Without any blank line, every line is a paragraph whatever it ends with.
    /// </summary>
    internal static bool IsBlankLineSeparated(IEnumerable<string> lines)
    {
        int innerLines = 0, innerEndingLikeParagraphs = 0;
        bool blankBetween = false, blankPending = false;
        string? previous = null;   // the line before, when it is in the same block
        bool seenText = false;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                blankPending = seenText;
                previous = null;
                continue;
            }
            blankBetween |= blankPending;
            if (previous is not null)
            {
                innerLines++;
                if (ParagraphEnds.Contains(previous[^1])) innerEndingLikeParagraphs++;
            }
            (previous, seenText) = (line, true);
        }
        return blankBetween && innerLines > 0 && innerEndingLikeParagraphs * 2 < innerLines;
    }

    static (string Name, int Bom) Encoding(string path, string? encoding)
    {
        if (encoding is null) return TextEncodings.Detect(path);
        _ = TextEncodings.Strict(encoding);   // an unknown name fails here, before any reading
        return (encoding, 0);
    }
}
