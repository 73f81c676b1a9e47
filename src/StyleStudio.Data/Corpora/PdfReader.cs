using UglyToad.PdfPig;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.DocumentLayoutAnalysis;
using UglyToad.PdfPig.DocumentLayoutAnalysis.PageSegmenter;
using UglyToad.PdfPig.DocumentLayoutAnalysis.ReadingOrderDetector;
using UglyToad.PdfPig.DocumentLayoutAnalysis.WordExtractor;

namespace StyleStudio.Data.Corpora;

/// <summary>
/// PDF text through PdfPig's layout analysis, page by page: letters → words (nearest neighbours) → text blocks (Docstrum,
/// which follows columns) → reading order → paragraphs. A block's lines are joined like wrapped lines (Chinese without a
/// space, English hyphenation rejoined); a line indented past the block's left edge starts a new paragraph, for books
/// that mark paragraphs by indent rather than space. Lines without a letter at a block's edge (page numbers) are dropped. A paragraph
/// running over a page break comes out as two.
/// </summary>
static class PdfReader
{
    public static IEnumerable<string> Paragraphs(string path)
    {
        PdfDocument document;
        try
        {
            document = PdfDocument.Open(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new CorpusFileException(path, $"not a readable PDF ({e.Message})", e);
        }
        using (document)
        {
            var paragraphs = new List<string>();
            int letters = 0;
            for (int number = 1; number <= document.NumberOfPages; number++)
            {
                Page page;
                try
                {
                    page = document.GetPage(number);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    throw new CorpusFileException(path, $"page {number} cannot be read ({e.Message})", e);
                }
                letters += page.Letters.Count;
                paragraphs.AddRange(PageParagraphs(page));
            }
            if (letters == 0)
                throw new CorpusFileException(path, $"none of its {document.NumberOfPages} page(s) has a text layer (a scanned PDF?); run OCR on it first, or import its text as .txt");
            return paragraphs;
        }
    }

    static IEnumerable<string> PageParagraphs(Page page)
    {
        if (page.Letters.Count == 0) yield break;
        var words = NearestNeighbourWordExtractor.Instance.GetWords(page.Letters).ToList();
        var blocks = DocstrumBoundingBoxes.Instance.GetBlocks(words);
        foreach (var block in UnsupervisedReadingOrderDetector.Instance.Get(blocks))
            foreach (var paragraph in Split(block))
                if (paragraph.Any(char.IsLetter)) yield return paragraph;
    }

    /// <summary>The block's lines joined into paragraphs, a new one at each indented line.</summary>
    static IEnumerable<string> Split(TextBlock block)
    {
        double left = block.TextLines.Min(l => l.BoundingBox.Left);
        double em = block.TextLines.SelectMany(l => l.Words).SelectMany(w => w.Letters).Select(l => l.Width).Where(w => w > 0).DefaultIfEmpty(5).Average();
        var lines = new List<string>();
        for (int i = 0; i < block.TextLines.Count; i++)
        {
            var line = block.TextLines[i];
            // A page number or folio that layout analysis put at the edge of a block is not prose.
            if ((i == 0 || i == block.TextLines.Count - 1) && !line.Text.Any(char.IsLetter)) continue;
            bool indented = line.BoundingBox.Left - left > 1.5 * em;
            if (indented && lines.Count > 0)
            {
                yield return Scripts.JoinLines(lines);
                lines.Clear();
            }
            lines.Add(LineText(line));
        }
        if (lines.Count > 0) yield return Scripts.JoinLines(lines);
    }

    /// <summary>The line's words, spaced except where Chinese meets (its "words" are runs the extractor cut, not words).</summary>
    static string LineText(TextLine line) => Scripts.JoinLines(line.Words.Select(w => w.Text));
}
