using System.Text;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace StyleStudio.Data.Corpora;

/// <summary>
/// Word documents (.docx) through the Open XML SDK: every paragraph of the main document body in document order, table
/// cells' paragraphs included where the table stands. A paragraph's text is its own runs' text (a text box inside it is
/// a paragraph of its own); tabs become spaces and line breaks join like wrapped lines. Deleted revisions, field codes and
/// the fallback copies of drawings (which repeat their text boxes) are left out.
/// </summary>
static class DocxReader
{
    public static IEnumerable<string> Paragraphs(string path)
    {
        WordprocessingDocument document;
        try
        {
            document = WordprocessingDocument.Open(path, isEditable: false);
        }
        catch (Exception e) when (e is OpenXmlPackageException or FileFormatException or InvalidDataException or IOException or System.Xml.XmlException)
        {
            throw new CorpusFileException(path, $"not a readable Word (.docx) document ({e.Message})", e);
        }
        using (document)
        {
            Body body;
            try
            {
                body = document.MainDocumentPart?.Document?.Body ?? throw new CorpusFileException(path, "the Word document has no body");
            }
            catch (Exception e) when (e is System.Xml.XmlException or InvalidDataException or OpenXmlPackageException or IOException)
            {
                throw new CorpusFileException(path, $"the Word document's text is damaged ({e.Message})", e);
            }
            var paragraphs = new List<string>();
            foreach (var paragraph in body.Descendants<Paragraph>())
            {
                if (paragraph.Ancestors<AlternateContentFallback>().Any()) continue;
                var text = Scripts.JoinLines(TextOf(paragraph).Split('\n'));
                if (text.Length > 0) paragraphs.Add(text);
            }
            return paragraphs;
        }
    }

    static string TextOf(Paragraph paragraph)
    {
        var text = new StringBuilder();
        foreach (var element in paragraph.Descendants())
        {
            if (element is not (Text or TabChar or Break or CarriageReturn)) continue;
            if (!ReferenceEquals(element.Ancestors<Paragraph>().First(), paragraph)) continue;   // a nested text box's own paragraph
            text.Append(element switch
            {
                Text t => t.Text,
                TabChar => " ",
                _ => "\n",
            });
        }
        return text.ToString();
    }
}
