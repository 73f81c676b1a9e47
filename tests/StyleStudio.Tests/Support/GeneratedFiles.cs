using System.IO.Compression;
using System.Text;

namespace StyleStudio.Tests.Support;

/// <summary>
/// Large and hostile input files made on the fly, streaming, so a test that needs a 1.5 GB zip bomb or a million rows
/// holds neither in memory nor in the repository.
/// </summary>
static class GeneratedFiles
{
    const string Header = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>input</t></is></c><c r="B1" t="inlineStr"><is><t>output</t></is></c></row>""";
    const string Row = """<row><c t="inlineStr"><is><t>今天天气很好。</t></is></c><c t="inlineStr"><is><t>今日天朗气清。</t></is></c></row>""";
    const string Footer = "</sheetData></worksheet>";

    /// <summary>
    /// A real workbook (input/output columns, one repeated row) whose xl/worksheets/sheet1.xml inflates to about
    /// <paramref name="sheetBytes"/>; deflate squeezes it about 1,000:1, so 1.5 GB becomes about 1.5 MB. A row every
    /// <paramref name="rowEvery"/> bytes with spaces between (XML ignores them); 0 packs rows tight (~115 bytes each).
    /// </summary>
    public static void Xlsx(string path, long sheetBytes, int rowEvery = 4096)
    {
        using var archive = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        Text(archive, "[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>""");
        Text(archive, "_rels/.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
        Text(archive, "xl/workbook.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>""");
        Text(archive, "xl/_rels/workbook.xml.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>""");
        using var sheet = archive.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.SmallestSize).Open();
        sheet.Write(Encoding.UTF8.GetBytes(Header));
        // Long runs of one byte (the spaces) deflate best.
        var row = Encoding.UTF8.GetBytes(Row);
        int stride = Math.Max(row.Length, rowEvery);
        var block = new byte[stride * ((1 << 19) / stride)];
        block.AsSpan().Fill((byte)' ');
        for (int i = 0; i < block.Length; i += stride) row.CopyTo(block, i);
        for (long written = Header.Length; written < sheetBytes; written += block.Length) sheet.Write(block);
        sheet.Write(Encoding.UTF8.GetBytes(Footer));
    }

    /// <summary>
    /// Rewrites the uncompressed size that <paramref name="path"/>'s zip headers (local and central) declare for
    /// <paramref name="entry"/>: a zip that lies about how far it inflates.
    /// </summary>
    public static void DeclareSize(string path, string entry, uint declared)
    {
        var bytes = File.ReadAllBytes(path);
        var name = Encoding.UTF8.GetBytes(entry);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BitConverter.ToUInt32(bytes, i);
            int nameAt = signature switch { 0x04034b50 => i + 30, 0x02014b50 => i + 46, _ => -1 };
            if (nameAt < 0 || !bytes.AsSpan(nameAt).StartsWith(name)) continue;
            BitConverter.TryWriteBytes(bytes.AsSpan(signature == 0x04034b50 ? i + 22 : i + 24), declared);
        }
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A JSON Lines file of <paramref name="rows"/> lines, each made by <paramref name="line"/> from its index.</summary>
    public static void JsonLines(string path, int rows, Func<int, string> line)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 16);
        for (int i = 0; i < rows; i++) writer.Write(line(i) + "\n");
    }

    static void Text(ZipArchive archive, string name, string text)
    {
        using var stream = archive.CreateEntry(name).Open();
        stream.Write(Encoding.UTF8.GetBytes(text));
    }
}
