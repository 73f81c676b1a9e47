using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>
/// Hostile and oversized input: zip bombs refused before they inflate, lines and cells over the limit rejected by row,
/// millions of bad rows counted without being held, and imports that are cancelled or killed leaving nothing behind.
/// </summary>
public sealed class ImportLimitsTests : IDisposable
{
    const string Sheet = "xl/worksheets/sheet1.xml";
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-import-limits-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string DataFolder => Path.Combine(folder, "data");

    static string Good(int i) => $$"""{"instruction": "改写为古风", "input": "今天天气很好 {{i}}", "output": "今日天朗气清 {{i}}"}""";

    /// <summary>The store holds no dataset and no upload, incoming or report file.</summary>
    void AssertNothingStored()
    {
        using var store = DataStore.Open(DataFolder);
        Assert.Empty(store.Datasets());
        string uploads = Path.Combine(DataFolder, "uploads");
        Assert.Empty(Directory.Exists(uploads) ? Directory.GetFileSystemEntries(uploads) : []);
        Assert.False(Directory.Exists(store.IncomingFolder));
    }

    [Fact]
    public void A_zip_bomb_xlsx_is_refused_by_the_cli_naming_file_and_entry_in_bounded_memory()
    {
        string bomb = Path.Combine(folder, "bomb.xlsx");
        GeneratedFiles.Xlsx(bomb, sheetBytes: 1_500L << 20);
        Assert.InRange(new FileInfo(bomb).Length, 1, 3L << 20);   // a 1.5 GB sheet in ~1.5 MB

        var clock = Stopwatch.StartNew();
        var (result, peak) = CliRunner.RunMeasured("data", "import", bomb, "--data", DataFolder);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: bomb.xlsx: entry xl/worksheets/sheet1.xml declares 1.46 GB uncompressed", result.Stderr);
        Assert.Contains("the limit is 1 GB uncompressed per file", result.Stderr);
        Assert.DoesNotContain("Unhandled", result.Stderr);
        Assert.InRange(peak, 1, 1L << 30);
        TestContext.Current.TestOutputHelper?.WriteLine($"bomb {new FileInfo(bomb).Length:N0} bytes; refused in {clock.Elapsed}; peak RSS {peak >> 20} MB");
        AssertNothingStored();
    }

    [Fact]
    public void A_bomb_under_the_size_cap_is_refused_by_its_compression_ratio()
    {
        string bomb = Path.Combine(folder, "dense.xlsx");
        GeneratedFiles.Xlsx(bomb, sheetBytes: 100L << 20);
        var error = Assert.Throws<ImportLimitException>(() => DatasetImporter.ReadAll(bomb));
        Assert.Matches(@"^dense\.xlsx: entry xl/worksheets/sheet1\.xml declares 100(\.\d)? MB from [\d.]+ KB compressed \(ratio [\d,]+:1\); " +
                       @"entries over 64 MB may compress at most 100:1", error.Message);
    }

    [Fact]
    public void A_shared_string_table_too_large_to_hold_is_refused()
    {
        string path = Path.Combine(folder, "strings.xlsx");
        GeneratedFiles.Xlsx(path, sheetBytes: 1 << 16);
        using (var archive = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        using (var strings = new StreamWriter(archive.CreateEntry("xl/sharedStrings.xml").Open()))
            strings.Write("<sst>" + string.Concat(Enumerable.Repeat("<si><t>今天天气很好。</t></si>", 200)) + "</sst>");
        var limits = new ImportLimits { MaxHeldWholeBytes = 1_000 };
        var error = Assert.Throws<ImportLimitException>(() => DatasetImporter.ReadAll(path, new ImportOptions(Limits: limits)));
        Assert.Matches(@"^strings\.xlsx: entry xl/sharedStrings\.xml declares [\d.]+ KB uncompressed; it is read whole into memory, " +
                       "and the limit for that is 1000 B$", error.Message);
    }

    [Fact]
    public void A_repetitive_but_modest_sheet_still_imports()
    {
        string sheet = Path.Combine(folder, "repetitive.xlsx");
        GeneratedFiles.Xlsx(sheet, sheetBytes: 2L << 20);   // ratio far over 100:1, size far under the 64 MB where that counts
        var (rows, report) = DatasetImporter.ReadAll(sheet);
        Assert.True(rows.Count >= 500, $"{rows.Count} rows");
        Assert.Equal(("今天天气很好。", "今日天朗气清。"), (rows[0].Input!, rows[0].Output));
        Assert.Equal(0, report.Rejected);
    }

    [Fact]
    public void A_zip_that_understates_its_sizes_is_cut_at_the_declared_size_and_refused_as_damaged()
    {
        string liar = Path.Combine(folder, "liar.xlsx");
        GeneratedFiles.Xlsx(liar, sheetBytes: 8L << 20);
        GeneratedFiles.DeclareSize(liar, Sheet, 4_000);   // declared sizes pass every limit; the real ones would not matter
        var error = Assert.Throws<SourceFormatException>(() => DatasetImporter.ReadAll(liar));
        Assert.StartsWith("liar.xlsx: line 0: not a readable .xlsx file (Unexpected end of file", error.Message);
    }

    [Fact]
    public async Task A_parquet_row_group_over_the_limit_is_refused_before_it_is_read()
    {
        string path = Path.Combine(folder, "groups.parquet");
        var rows = Enumerable.Range(0, 2_000).Select(i => new ImportFormatsTests.ParquetPair { Instruction = "改写", Input = $"今天 {i}", Output = $"今日 {i}" });
        await using (var stream = File.Create(path))
            await Parquet.Serialization.ParquetSerializer.SerializeAsync(rows, stream, new Parquet.ParquetOptions { RowGroupSize = 1_000 },
                cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2_000, DatasetImporter.ReadAll(path).Rows.Count);

        var error = Assert.Throws<ImportLimitException>(() => DatasetImporter.ReadAll(path, new ImportOptions(Limits: new ImportLimits { MaxRowGroupBytes = 1_000 })));
        Assert.Matches(@"^groups\.parquet: row group \d of 2 holds [\d.]+ KB uncompressed; the limit is 1000 B per row group", error.Message);
    }

    [Fact]
    public void Rejected_rows_are_all_counted_the_first_thousand_kept_and_all_written_to_the_report()
    {
        string path = Path.Combine(folder, "mostly-bad.jsonl");
        GeneratedFiles.JsonLines(path, 30_010, i => i % 3_001 == 0 ? Good(i) : $$"""{"instruction": "改写", "input": "无答 {{i}}"}""");

        var result = CliRunner.Run("data", "import", path, "--data", DataFolder);
        Assert.Equal(2, result.ExitCode);
        var inspect = CliRunner.Run("data", "inspect", "mostly-bad", "--data", DataFolder);
        Assert.Contains("30,000 rows rejected; the first 1,000 are listed, all are in ", inspect.Stdout);
        using var store = DataStore.Open(DataFolder);
        var dataset = store.Find("mostly-bad");
        string report = store.RejectionReportFile(dataset.Id);
        Assert.Contains($"30,000 rows rejected; the first 1,000 are listed, all are in {report}", result.Stderr);
        Assert.Equal((10L, 30_000L), (dataset.Rows, dataset.Rejected));
        Assert.Equal(1_000, store.ImportErrors(dataset.Id).Count());

        var lines = File.ReadLines(report).ToList();
        Assert.Equal(30_000, lines.Count);
        var last = JsonNode.Parse(lines[^1])!;
        Assert.Equal((30_010L, "output", "missing or empty"), (last["row"]!.GetValue<long>(), last["field"]!.GetValue<string>(), last["reason"]!.GetValue<string>()));
    }

    [Fact]
    public void A_file_of_only_bad_rows_lists_the_first_and_stores_nothing_not_even_its_report()
    {
        string path = Path.Combine(folder, "all-bad.jsonl");
        GeneratedFiles.JsonLines(path, 2_000, i => $$"""{"instruction": "改写", "input": "无答 {{i}}", "output": ""}""");
        var result = CliRunner.Run("data", "import", path, "--data", DataFolder);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("2,000 rows rejected; the first 1,000 are listed\n", result.Stderr.ReplaceLineEndings("\n"));
        Assert.Contains("error: all-bad.jsonl: all 2,000 rows were rejected (first: row 1: output: missing or empty)", result.Stderr);
        AssertNothingStored();
    }

    [Fact]
    public void An_over_long_line_or_cell_rejects_its_row_by_name_and_the_rest_imports()
    {
        string path = Path.Combine(folder, "giants.jsonl");
        File.WriteAllText(path, string.Join("\n",
            Good(1),
            $$"""{"instruction": "改写", "input": "{{new string('长', 1_500_000)}}", "output": "x"}""",   // 4.3 MB of UTF-8
            $$"""{"instruction": "改写", "input": "短", "output": "{{new string('长', 2_000)}}"}""",
            Good(4)), new UTF8Encoding(false));
        var limits = new ImportLimits { MaxLineBytes = 1 << 20, MaxFieldChars = 1_000 };
        var (rows, report) = DatasetImporter.ReadAll(path, new ImportOptions(Limits: limits));
        Assert.Equal(2, rows.Count);
        Assert.Equal(["row 2: (row): over-long line: 4.3 MB (limit 1 MB per line); not read",
                      "row 3: output: over-long cell: 2,000 characters (limit 1,000 per cell)"], report.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_csv_record_over_the_line_limit_stops_the_read_at_its_line()
    {
        string path = Path.Combine(folder, "unclosed.csv");
        File.WriteAllText(path, "input,output\n今天,今日\n\"unclosed," + new string('长', 1_000_000) + "\n", new UTF8Encoding(false));
        var error = Assert.Throws<SourceFormatException>(() =>
            DatasetImporter.ReadAll(path, new ImportOptions(Limits: new ImportLimits { MaxLineBytes = 1 << 20 })));
        Assert.Equal("unclosed.csv: line 3, byte 27: a CSV record longer than 1 MB, the limit per record (an unclosed quote?)", error.Message);
    }

    [Fact]
    public void A_cancelled_import_leaves_nothing_and_the_name_stays_free()
    {
        string path = Path.Combine(folder, "long.jsonl");
        GeneratedFiles.JsonLines(path, 50_000, Good);
        using (var store = DataStore.Open(DataFolder))
        {
            using var cancel = new CancellationTokenSource();
            Assert.ThrowsAny<OperationCanceledException>(() =>
                store.Import("long", path, new ImportOptions(), new CancelAtFirstReport(cancel), cancel.Token));
            Assert.Empty(store.Datasets());
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(DataFolder, "uploads")));
            Assert.Equal(50_000, store.Import("long", path, new ImportOptions(), cancellation: TestContext.Current.CancellationToken).Dataset.Rows);
        }
    }

    [Fact]
    public void An_import_killed_midway_is_undone_when_the_store_opens_again()
    {
        string path = Path.Combine(folder, "big.jsonl");
        GeneratedFiles.JsonLines(path, 600_000, Good);
        using (var process = CliRunner.Start("data", "import", path, "--name", "big", "--data", DataFolder))
        {
            // The CLI counts records on stderr ("\r10,000 records read"): once it does, rows are being stored.
            var progress = new StringBuilder();
            var buffer = new char[256];
            var clock = Stopwatch.StartNew();
            while (!progress.ToString().Contains("records read") && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                int read = process.StandardError.Read(buffer);
                if (read == 0) break;
                progress.Append(buffer, 0, read);
            }
            Assert.Contains("records read", progress.ToString());
            process.Kill();   // SIGKILL: no finally block, no cleanup
            process.WaitForExit();
        }
        string uploads = Path.Combine(DataFolder, "uploads");
        Assert.NotEmpty(Directory.GetDirectories(uploads));   // the interrupted import's copy of the file
        string scratch = Path.Combine(DataFolder, "incoming", "abc", "upload.jsonl");   // as a studio killed mid-upload leaves it
        Directory.CreateDirectory(Path.GetDirectoryName(scratch)!);
        File.WriteAllText(scratch, Good(0));

        AssertNothingStored();
        string small = Path.Combine(folder, "small.jsonl");
        GeneratedFiles.JsonLines(small, 3, Good);
        using var store = DataStore.Open(DataFolder);
        Assert.Equal(3, store.Import("big", small, new ImportOptions(), cancellation: TestContext.Current.CancellationToken).Dataset.Rows);   // the name is free again
    }

    /// <summary>Cancels on the importer's first progress report, on its own thread (Progress&lt;T&gt; would post it later).</summary>
    sealed class CancelAtFirstReport(CancellationTokenSource cancel) : IProgress<long>
    {
        public void Report(long value) => cancel.Cancel();
    }
}
