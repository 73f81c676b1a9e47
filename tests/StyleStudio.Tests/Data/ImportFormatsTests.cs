using System.Text;
using System.Text.Json;
using MiniExcelLibs;
using Parquet.Serialization;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;

namespace StyleStudio.Tests.Data;

/// <summary>The same pairs written in every supported format and encoding import to the same rows.</summary>
public sealed class ImportFormatsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-import-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    // Chinese, English, emoji, a comma, quotes and a line break: what trips up real imports.
    static readonly (string Instruction, string Input, string Output, string Style)[] Pairs =
    [
        ("改写成古风", "今天天气很好，我们去公园散步吧。", "今日天朗气清，盍往园中一游？", "古风"),
        ("Rewrite casually", "The meeting, alas, has been \"postponed\".", "meeting's off 🙃", "casual"),
        ("改写成古风", "他说：\n“明天见”", "其言曰：\n“明日再会。”", "古风"),
    ];

    string Write(string name, string text, Encoding encoding, bool bom)
    {
        string path = Path.Combine(folder, name);
        var bytes = encoding.GetBytes(text);
        File.WriteAllBytes(path, bom ? [.. encoding.GetPreamble(), .. bytes] : bytes);
        return path;
    }

    static string Csv(char separator)
    {
        static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
        return $"instruction{separator}input{separator}output{separator}style\r\n" +
               string.Concat(Pairs.Select(p => string.Join(separator, Quote(p.Instruction), Quote(p.Input), Quote(p.Output), Quote(p.Style)) + "\r\n"));
    }

    static string JsonLines() => string.Concat(Pairs.Select(p => JsonSerializer.Serialize(new { instruction = p.Instruction, input = p.Input, output = p.Output, style = p.Style }) + "\n"));

    static string JsonArray() => JsonSerializer.Serialize(Pairs.Select(p => new { instruction = p.Instruction, input = p.Input, output = p.Output, style = p.Style }),
        new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static TheoryData<string, string, bool, string> Files => new()
    {
        { "pairs.jsonl", "utf-8", false, "utf-8" },
        { "pairs.jsonl", "utf-8", true, "utf-8" },
        { "pairs.json", "utf-8", false, "utf-8" },
        { "pairs.json", "gb18030", false, "gb18030" },
        { "pairs.csv", "utf-8", true, "utf-8" },
        { "pairs.csv", "gb18030", false, "gb18030" },
        { "pairs.csv", "utf-16le", true, "utf-16le" },
        { "pairs.csv", "utf-16le", false, "utf-16le" },
        { "pairs.tsv", "utf-16be", true, "utf-16be" },
        { "pairs.tsv", "utf-8", false, "utf-8" },
    };

    [Theory, MemberData(nameof(Files))]
    public void Text_formats_in_every_encoding_import_the_same_rows(string name, string encodingName, bool bom, string detected)
    {
        string text = Path.GetExtension(name) switch { ".jsonl" => JsonLines(), ".json" => JsonArray(), ".csv" => Csv(','), _ => Csv('\t') };
        string path = Write(name, text, EncodingFor(encodingName), bom);
        var (rows, report) = DatasetImporter.ReadAll(path);
        Assert.Equal(detected, report.Encoding);
        AssertPairs(rows, report);
    }

    static Encoding EncodingFor(string name) => name switch
    {
        "utf-16le" => new UnicodeEncoding(false, true),
        "utf-16be" => new UnicodeEncoding(true, true),
        "utf-8" => new UTF8Encoding(true),
        _ => TextEncodings.Strict(name),
    };

    [Fact]
    public void Xlsx_imports_its_first_sheet()
    {
        string path = Path.Combine(folder, "pairs.xlsx");
        MiniExcel.SaveAs(path, Pairs.Select(p => new Dictionary<string, object> { ["instruction"] = p.Instruction, ["input"] = p.Input, ["output"] = p.Output, ["style"] = p.Style }));
        var (rows, report) = DatasetImporter.ReadAll(path);
        Assert.Null(report.Encoding);
        AssertPairs(rows, report);
    }

    public sealed class ParquetPair
    {
        public string? Instruction { get; set; }
        public string? Input { get; set; }
        public string? Output { get; set; }
        public string? Style { get; set; }
    }

    [Fact]
    public async Task Parquet_imports_row_group_by_row_group()
    {
        string path = Path.Combine(folder, "pairs.parquet");
        var data = Pairs.Select(p => new ParquetPair { Instruction = p.Instruction, Input = p.Input, Output = p.Output, Style = p.Style }).ToList();
        await using (var stream = File.Create(path))
            await ParquetSerializer.SerializeAsync(data, stream, new Parquet.ParquetOptions { RowGroupSize = 2 }, cancellationToken: TestContext.Current.CancellationToken);
        var (rows, report) = DatasetImporter.ReadAll(path, new ImportOptions(Map: [("Instruction", "instruction"), ("Input", "input"), ("Output", "output"), ("Style", "style")]));
        AssertPairs(rows, report);
    }

    static void AssertPairs(List<DatasetRow> rows, ImportReport report)
    {
        Assert.Empty(report.Errors);
        Assert.Equal(Pairs.Length, rows.Count);
        Assert.Equal(Pairs.Length, report.Imported);
        foreach (var (row, pair) in rows.Zip(Pairs))
            Assert.Equal((pair.Instruction, pair.Input, pair.Output, pair.Style), (row.Instruction, row.Input!, row.Output, row.Style!));
    }
}
