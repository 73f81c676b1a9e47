using System.Text;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;

namespace StyleStudio.Tests.Data;

/// <summary>Bad input: rejected rows are reported with location, field and reason; unreadable files name line and offset.</summary>
public sealed class ImportErrorsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-import-errors-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Write(string name, string text, Encoding? encoding = null)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, (encoding ?? new UTF8Encoding(false)).GetBytes(text));
        return path;
    }

    [Fact]
    public void Rejected_rows_are_reported_and_the_rest_imports()
    {
        string path = Write("mixed.jsonl", string.Join("\n",
            """{"instruction": "改写", "input": "你好", "output": "汝好"}""",
            """{"instruction": "改写", "input": "再见"}""",
            """{"instruction": "改写", "input": "谢谢", "output": ["not", "text"]}""",
            "{\"instruction\": \"改写\", \"input\": \"broken\", \"output\": \"x\"",
            """{"instruction": "", "input": "", "output": "orphan"}""",
            """{"instruction": "改写", "input": "长", "output": "%%LONG%%"}""".Replace("%%LONG%%", new string('长', 40_000)),
            """[1, 2]""",
            """{"instruction": "改写", "input": "好", "output": "善"}"""));
        var (rows, report) = DatasetImporter.ReadAll(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["row 2: output: missing or empty", "row 3: output: must be text, got array"],
            report.Errors.Take(2).Select(e => e.ToString()));
        Assert.StartsWith("row 4: (row): not valid JSON at character", report.Errors[2].ToString());
        Assert.Equal("row 5: instruction: both instruction and input are missing or empty", report.Errors[3].ToString());
        Assert.Equal("row 6: output: over-long: 40,000 characters (limit 32,768)", report.Errors[4].ToString());
        Assert.Equal("row 7: (row): not a JSON object", report.Errors[5].ToString());
        Assert.Equal(6, report.Rejected);
    }

    [Fact]
    public void Message_lists_out_of_order_are_rejected_with_the_message_index()
    {
        string path = Write("chat.jsonl", string.Join("\n",
            """{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"}]}""",
            """{"messages": [{"role": "assistant", "content": "answer first"}]}""",
            """{"messages": [{"role": "user", "content": "no answer"}]}"""));
        var (rows, report) = DatasetImporter.ReadAll(path);
        Assert.Equal(RowShape.OpenAiMessages, report.Mapping.Shape);
        var row = Assert.Single(rows);
        Assert.Equal(("q2", "a2", "s"), (row.Instruction, row.Output, row.System!));
        Assert.Equal("q1", Assert.Single(row.History).User);
        Assert.Equal(["row 2: messages[0].role: 'assistant' out of order (expected system first, then user and assistant alternating)",
                      "row 3: messages: ends with a user message that has no answer"], report.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Truncated_json_array_names_the_line()
    {
        string path = Write("cut.json", "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": \"c\", \"out");
        var error = Assert.Throws<SourceFormatException>(() => DatasetImporter.ReadAll(path));
        Assert.Equal(3, error.Line);
        Assert.Contains("malformed JSON", error.Message);
    }

    [Fact]
    public void Broken_csv_quoting_names_the_line()
    {
        const string good = "instruction,output\r\n\"fine\",\"ok\"\r\n";
        string path = Write("bad.csv", good + "\"broken\"here,\"x\"\r\n");
        var error = Assert.Throws<SourceFormatException>(() => DatasetImporter.ReadAll(path));
        Assert.Equal(3, error.Line);
        Assert.InRange(error.Offset!.Value, good.Length, good.Length + 10);   // at the stray text after the closing quote
        Assert.Contains("malformed CSV", error.Message);
    }

    [Fact]
    public void Gbk_bytes_read_as_utf8_name_line_and_byte_offset()
    {
        const string first = "{\"instruction\": \"ok\", \"output\": \"fine\"}\n";
        string path = Write("gbk.jsonl", first + "{\"instruction\": \"改写\", \"output\": \"x\"}\n", TextEncodings.Strict("gbk"));
        var error = Assert.Throws<SourceFormatException>(() => DatasetImporter.ReadAll(path, new ImportOptions(Encoding: "utf-8")));
        Assert.Equal(2, error.Line);
        Assert.Equal(first.Length + 17, error.Offset);     // 改 starts 17 bytes into the second line
        Assert.Contains("not valid in utf-8", error.Message);
        Assert.Equal("gb18030", DatasetImporter.ReadAll(path).Report.Encoding);   // detection gets it right
    }

    [Theory]
    [InlineData("broken.xlsx", "not a readable .xlsx file")]
    [InlineData("broken.parquet", "not a readable Parquet file")]
    public void Corrupt_binary_files_are_refused_with_a_clear_message(string name, string message)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, [.. "PK\u0003\u0004 this is not really a workbook or a parquet file"u8]);
        var error = Assert.Throws<SourceFormatException>(() => DatasetImporter.ReadAll(path));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Unmappable_columns_are_named_in_the_error()
    {
        string path = Write("odd.csv", "a,b\r\n1,2\r\n");
        var error = Assert.Throws<MappingException>(() => DatasetImporter.ReadAll(path, new ImportOptions(Map: [("a", "system"), ("b", "style")])));
        Assert.Contains("no column is mapped to output", error.Message);
        Assert.Contains("Columns found: a, b", error.Message);
    }
}
