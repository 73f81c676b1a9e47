using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace StyleStudio.Tests.Support;

/// <summary>Real Word and PDF documents for the corpus tests, written with the SDKs the readers use.</summary>
static class CorpusFiles
{
    /// <summary>A cell of a Word table: its paragraphs.</summary>
    public sealed record Cell(params string[] Paragraphs);

    /// <summary>
    /// A .docx whose body holds <paramref name="paragraphs"/> in order; a paragraph given as "a\nb" has a line break
    /// (w:br) between its runs. <paramref name="table"/> (rows of cells) goes after the paragraph at <paramref name="tableAfter"/>.
    /// </summary>
    public static void Docx(string path, IReadOnlyList<string> paragraphs, IReadOnlyList<IReadOnlyList<Cell>>? table = null, int tableAfter = -1)
    {
        using var document = WordprocessingDocument.Create(path, WordprocessingDocumentType.Document);
        var body = new Body();
        for (int i = 0; i < paragraphs.Count; i++)
        {
            body.Append(WordParagraph(paragraphs[i]));
            if (i == tableAfter && table is not null)
                body.Append(new Table(table.Select(row => new TableRow(row.Select(cell =>
                    new TableCell(cell.Paragraphs.Select(p => (OpenXmlElement)WordParagraph(p)))))).ToArray()));
        }
        body.Append(new SectionProperties());
        document.AddMainDocumentPart().Document = new Document(body);
    }

    static Paragraph WordParagraph(string text)
    {
        var runs = new List<OpenXmlElement>();
        foreach (var (part, index) in text.Split('\n').Select((p, i) => (p, i)))
        {
            if (index > 0) runs.Add(new Run(new Break()));
            runs.Add(new Run(new Text(part) { Space = SpaceProcessingModeValues.Preserve }));
        }
        return new Paragraph(runs);
    }

    /// <summary>
    /// A PDF of English text in Helvetica: each page a list of paragraphs, each paragraph its lines, set at 12 pt with
    /// 14 pt leading and a blank 28 pt between paragraphs (as a typeset page has them).
    /// </summary>
    public static void Pdf(string path, params IReadOnlyList<IReadOnlyList<string>>[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var paragraphs in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            double y = 780;
            foreach (var lines in paragraphs)
            {
                foreach (var line in lines)
                {
                    page.AddText(line, 12, new PdfPoint(72, y), font);
                    y -= 14;
                }
                y -= 28;
            }
        }
        File.WriteAllBytes(path, builder.Build());
    }

    /// <summary>
    /// A one-page PDF set as books are: no space between paragraphs, each paragraph's first line indented by 3 em.
    /// </summary>
    public static void PdfIndented(string path, params IReadOnlyList<string>[] paragraphs)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
        double y = 780;
        foreach (var lines in paragraphs)
            for (int i = 0; i < lines.Count; i++, y -= 14)
                page.AddText(lines[i], 12, new PdfPoint(i == 0 ? 108 : 72, y), font);
        File.WriteAllBytes(path, builder.Build());
    }

    /// <summary>A PDF whose pages hold only drawn shapes: what a scan without a text layer looks like to a reader.</summary>
    public static void PdfWithoutText(string path, int pages)
    {
        var builder = new PdfDocumentBuilder();
        for (int i = 0; i < pages; i++)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            page.DrawRectangle(new PdfPoint(72, 400), 300, 200, 2);
        }
        File.WriteAllBytes(path, builder.Build());
    }
}
