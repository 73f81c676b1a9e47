using System.Text;
using StyleStudio.Data.Corpora;
using StyleStudio.Data.Import;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>Real files of each kind read into the exact paragraphs, lines and sentences they hold.</summary>
public sealed class CorpusReaderTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("corpus-read-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string PathOf(string name) => Path.Combine(folder, name);

    const string ChapteredLines = "第一章\r\n\r\n天下大势，分久必合，合久必分。\r\n周末七国分争，并入于秦。\r\n及秦灭之后，楚、汉分争，又并入于汉。\r\n";
    static readonly string[] ChapteredParagraphs = ["第一章", "天下大势，分久必合，合久必分。", "周末七国分争，并入于秦。", "及秦灭之后，楚、汉分争，又并入于汉。"];

    const string WrappedChinese = "滚滚长江东逝水，浪花淘尽\n英雄。是非成败转头空。\n\n\n青山依旧在，几度\n夕阳红。\n";
    const string WrappedEnglish = "The quick brown fox jumps over the\nlazy dog and keeps run-\nning far away.\n\nSecond paragraph is\nshort.";

    public static TheoryData<string> Encodings => ["utf-8", "utf-8 bom", "utf-16le bom", "utf-16be bom", "gb18030"];

    static Encoding Writer(string encoding)
    {
        TextEncodings.EnsureCodePages();
        return encoding switch
        {
            "utf-8" => new UTF8Encoding(false),
            "utf-8 bom" => new UTF8Encoding(true),
            "utf-16le bom" => new UnicodeEncoding(false, true),
            "utf-16be bom" => new UnicodeEncoding(true, true),
            _ => Encoding.GetEncoding("GB18030"),
        };
    }

    [Theory, MemberData(nameof(Encodings))]
    public void A_text_file_with_one_paragraph_per_line_gives_each_line_in_any_detected_encoding(string encoding)
    {
        var file = PathOf("三国.txt");
        File.WriteAllText(file, ChapteredLines, Writer(encoding));
        // The blank line after the chapter title does not make it a blank-line separated file: its lines end like paragraphs.
        Assert.Equal(ChapteredParagraphs, CorpusReader.ReadParagraphs(file));
        Assert.Equal(ChapteredParagraphs, CorpusReader.ReadLines(file));
    }

    [Theory, MemberData(nameof(Encodings))]
    public void A_blank_line_separated_file_joins_each_block_Chinese_without_spaces(string encoding)
    {
        var file = PathOf("临江仙.txt");
        File.WriteAllText(file, WrappedChinese, Writer(encoding));
        Assert.Equal(["滚滚长江东逝水，浪花淘尽英雄。是非成败转头空。", "青山依旧在，几度夕阳红。"], CorpusReader.ReadParagraphs(file));
        Assert.Equal(["滚滚长江东逝水，浪花淘尽", "英雄。是非成败转头空。", "青山依旧在，几度", "夕阳红。"], CorpusReader.ReadLines(file));
        Assert.Equal(["滚滚长江东逝水，浪花淘尽英雄。", "是非成败转头空。", "青山依旧在，几度夕阳红。"], CorpusReader.ReadSentences(file));
    }

    [Fact]
    public void A_blank_line_separated_English_file_joins_lines_with_spaces_and_rejoins_hyphenated_words()
    {
        var file = PathOf("fox.txt");
        File.WriteAllText(file, WrappedEnglish);
        Assert.Equal(["The quick brown fox jumps over the lazy dog and keeps running far away.", "Second paragraph is short."],
            CorpusReader.ReadParagraphs(file));
    }

    [Fact]
    public void A_given_encoding_is_used_and_bytes_invalid_in_it_are_reported_with_file_and_line()
    {
        var file = PathOf("gbk.txt");
        TextEncodings.EnsureCodePages();
        File.WriteAllText(file, ChapteredLines, Encoding.GetEncoding("GB18030"));
        Assert.Equal(ChapteredParagraphs, CorpusReader.ReadParagraphs(file, "gbk"));
        var error = Assert.Throws<SourceFormatException>(() => CorpusReader.ReadParagraphs(file, "utf-8").ToList());
        Assert.Contains("gbk.txt: line 1", error.Message);
        Assert.Throws<ArgumentException>(() => CorpusReader.ReadParagraphs(file, "latin-9").ToList());
    }

    [Fact]
    public void Markdown_keeps_the_prose_without_its_syntax_and_drops_code_html_and_images()
    {
        var file = PathOf("notes.md");
        File.WriteAllText(file, """
            ---
            title: 笔记
            ---
            # 第一章 开始

            这是**第一段**，有[链接](https://example.com)和`代码`。
            第二行接着。

            - 列表一
            - 列表二

            > 引用的话。

            ```python
            print("not prose")
            ```

            | 甲 | 乙 |
            |----|----|
            | 丙 | 丁 |

            An *English* paragraph
            over two lines.

            ![a picture](a.png)

            <div>markup</div>
            """);
        Assert.Equal(["第一章 开始", "这是第一段，有链接和代码。第二行接着。", "列表一", "列表二", "引用的话。", "甲", "乙", "丙", "丁",
            "An English paragraph over two lines."], CorpusReader.ReadParagraphs(file));
    }

    [Fact]
    public void A_Word_document_gives_its_paragraphs_in_order_with_the_table_cells_where_the_table_stands()
    {
        var file = PathOf("文稿.docx");
        CorpusFiles.Docx(file, ["第一段：天下大势。", "Hello world. This is English.", "第一行\n第二行", "After the table."],
            table: [[new("甲一"), new("甲二", "second paragraph")], [new("乙一"), new("")]], tableAfter: 2);
        Assert.Equal(["第一段：天下大势。", "Hello world. This is English.", "第一行第二行", "甲一", "甲二", "second paragraph", "乙一", "After the table."],
            CorpusReader.ReadParagraphs(file));
        Assert.Equal(["第一段：天下大势。", "Hello world.", "This is English.", "第一行第二行", "甲一", "甲二", "second paragraph", "乙一", "After the table."],
            CorpusReader.ReadSentences(file));
    }

    [Fact]
    public void A_PDF_gives_its_text_blocks_as_paragraphs_with_lines_joined_and_page_numbers_dropped()
    {
        // PdfPig writes only Standard-14 and TrueType (glyf) fonts; this machine's CJK fonts are CFF (Noto CJK), so the
        // Chinese joining of PDF lines is the same Scripts.JoinLines the text files' tests cover.
        var file = PathOf("essay.pdf");
        CorpusFiles.Pdf(file,
            [["The quick brown fox jumps over the", "lazy dog and keeps run-", "ning far away."], ["A second paragraph follows it."]],
            [["Page two has its own text. It ends here."], ["2"]]);
        Assert.Equal(["The quick brown fox jumps over the lazy dog and keeps running far away.", "A second paragraph follows it.",
            "Page two has its own text. It ends here."], CorpusReader.ReadParagraphs(file));
        Assert.Equal(["The quick brown fox jumps over the lazy dog and keeps running far away.", "A second paragraph follows it.",
            "Page two has its own text.", "It ends here."], CorpusReader.ReadSentences(file));
    }

    [Fact]
    public void A_PDF_that_marks_paragraphs_by_indent_alone_gives_each_paragraph()
    {
        var file = PathOf("book.pdf");
        CorpusFiles.PdfIndented(file,
            ["It was the best of times, it was the worst", "of times, it was the age of wisdom."],
            ["There were a king with a large jaw and a", "queen with a plain face, on the throne."],
            ["It was the year of Our Lord one thousand", "seven hundred and seventy-five."]);
        Assert.Equal(["It was the best of times, it was the worst of times, it was the age of wisdom.",
            "There were a king with a large jaw and a queen with a plain face, on the throne.",
            "It was the year of Our Lord one thousand seven hundred and seventy-five."], CorpusReader.ReadParagraphs(file));
    }

    [Fact]
    public void Damaged_empty_textless_and_unknown_files_are_refused_naming_the_file_and_why()
    {
        var corruptDocx = PathOf("broken.docx");
        File.WriteAllBytes(corruptDocx, Encoding.ASCII.GetBytes("PK\u0003\u0004 this is not really a zip archive"));
        var corruptPdf = PathOf("broken.pdf");
        File.WriteAllText(corruptPdf, "%PDF-1.7\nnothing else here");
        var scanned = PathOf("scan.pdf");
        CorpusFiles.PdfWithoutText(scanned, 2);
        var empty = PathOf("empty.txt");
        File.WriteAllBytes(empty, []);
        var unknown = PathOf("letter.rtf");
        File.WriteAllText(unknown, "{\\rtf1 hello}");
        var old = PathOf("old.doc");
        File.WriteAllText(old, "binary");

        Assert.StartsWith("broken.docx: not a readable Word (.docx) document", Refusal(corruptDocx));
        Assert.StartsWith("broken.pdf: not a readable PDF", Refusal(corruptPdf));
        Assert.Equal("scan.pdf: none of its 2 page(s) has a text layer (a scanned PDF?); run OCR on it first, or import its text as .txt", Refusal(scanned));
        Assert.Equal("empty.txt: the file is empty", Refusal(empty));
        Assert.Equal("letter.rtf: unknown kind of file '.rtf'; corpora are read from .txt, .text, .md, .markdown, .docx, .pdf", Refusal(unknown));
        Assert.Equal("old.doc: the old binary Word format (.doc) is not read; save it as .docx", Refusal(old));
    }

    static string Refusal(string path) => Assert.Throws<CorpusFileException>(() => CorpusReader.ReadParagraphs(path).ToList()).Message;
}
