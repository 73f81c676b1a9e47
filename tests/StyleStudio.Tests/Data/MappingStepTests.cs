using System.Text;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Storage;

namespace StyleStudio.Tests.Data;

/// <summary>
/// The mapping step's data layer: a preview that stores nothing, mappings checked against the file's columns, and
/// imports that would keep no rows refused — the `A,B` file of issue 9 included.
/// </summary>
public sealed class MappingStepTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-mapstep-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Write(string name, string text)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Output first, then input: the column-order guess takes them the wrong way round.</summary>
    string TwoColumns() => Write("ab.csv", "A,B\n思君甚切。,我很想念你。\n今日天朗气清。,今天天气很好。\n吾甚喜,\n");

    [Fact]
    public void Preview_shows_columns_raw_rows_the_guess_and_its_rejections_and_stores_nothing()
    {
        string path = TwoColumns();
        var preview = DatasetImporter.Preview(path, new ImportOptions());
        Assert.Equal(["A", "B"], preview.Columns);
        Assert.Equal(3, preview.FirstRecords.Count);
        Assert.Equal("思君甚切。", MappingPreview.Cell(preview.FirstRecords[0], "A"));
        Assert.Equal(("A", "B"), (preview.Mapping.Input, preview.Mapping.Output));
        Assert.Equal(0.4, preview.Detected.Confidence);   // a guess (0.6), and 2 of 3 rows map cleanly
        Assert.True(preview.NeedsConfirmation);
        Assert.Contains("guessed from column order", preview.Detected.Reason);
        Assert.Equal(("我很想念你。", "思君甚切。"), (preview.FirstRows[0].Output, preview.FirstRows[0].Input!));
        Assert.Equal((3, true, 1), (preview.Checked, preview.WholeFile, preview.Rejected));
        var reason = Assert.Single(preview.Reasons);
        Assert.Equal(("B", "missing or empty", 1), (reason.Field, reason.Reason, reason.Count));
        Assert.Equal([4L], reason.FirstRows);   // line 4 of the file

        var swapped = DatasetImporter.Preview(path, new ImportOptions(Mapping: preview.Mapping.Swapped()));
        Assert.Equal(("今天天气很好。", "今日天朗气清。"), (swapped.FirstRows[1].Input!, swapped.FirstRows[1].Output));
        Assert.Equal(1.0, swapped.MappingConfidence);   // the user's own choice
        Assert.Equal(("B", 1), (Assert.Single(swapped.Reasons).Field, swapped.Rejected));   // B is now the (empty) input
        Assert.Equal([path], Directory.GetFileSystemEntries(folder));   // nothing written beside the file
    }

    [Fact]
    public void A_column_repeating_a_short_label_is_taken_as_the_style_not_as_a_side_of_the_pair()
    {
        string path = Write("abc.csv", "A,B,C\n今日天朗气清。,今天天气很好。,古风\n思君甚切。,我很想念你。,古风\n吾甚喜。,我很高兴。,古风\n");
        var preview = DatasetImporter.Preview(path, new ImportOptions());
        Assert.Equal(("A", "B", "C"), (preview.Mapping.Input, preview.Mapping.Output, preview.Mapping.Style));
        Assert.Equal("guessed from column order: 'A' → 'B'; 'C' repeats a few short values, taken as the style; 100 % of 3 sampled rows map cleanly",
            preview.Detected.Reason);
        Assert.Equal("古风", preview.FirstRows[0].Style);

        // Two columns, one of them repetitive: still a pair (nothing else could be the output).
        string two = Write("two.csv", "A,B\nI am unable to attend.,nope\nThank you.,nope\nGood morning.,nope\n");
        var pair = DatasetImporter.Preview(two, new ImportOptions()).Mapping;
        Assert.Equal(("A", "B", null), (pair.Input, pair.Output, pair.Style));
    }

    [Fact]
    public void Preview_counts_only_its_first_records_of_a_long_file_and_says_so()
    {
        var text = new StringBuilder("input,output\n");
        for (int i = 0; i < 120; i++) text.Append(i % 10 == 0 ? $"x{i},\n" : $"x{i},y{i}\n");
        var preview = DatasetImporter.Preview(Write("long.csv", text.ToString()), new ImportOptions(), checkLimit: 50);
        Assert.Equal((50, false, 5), (preview.Checked, preview.WholeFile, preview.Rejected));
        Assert.Equal(0.9, preview.Detected.Confidence);   // names certain, 45 of 50 clean
        Assert.False(preview.NeedsConfirmation);
    }

    [Fact]
    public void A_mapping_that_names_a_missing_column_is_refused_with_the_columns_that_exist()
    {
        string path = TwoColumns();
        var cli = Assert.Throws<MappingException>(() => DatasetImporter.ReadAll(path, new ImportOptions(Map: [("不存在", "input")])));
        Assert.Equal("ab.csv: column '不存在' is not in the file; its columns are: A, B", cli.Message);
        var studio = Assert.Throws<MappingException>(() => DatasetImporter.Preview(path, new ImportOptions(Mapping: new FieldMapping { Input = "A", Output = "C" })));
        Assert.Contains("column 'C' is not in the file", studio.Message);
    }

    [Fact]
    public void In_json_a_column_missing_from_the_first_records_is_reported_as_such()
    {
        var lines = Enumerable.Range(0, 250).Select(i => $"{{\"q\": \"x{i}\", \"a\": \"y{i}\"}}");
        string path = Write("many.jsonl", string.Join("\n", lines) + "\n");
        var e = Assert.Throws<MappingException>(() => DatasetImporter.ReadAll(path, new ImportOptions(Map: [("q", "input"), ("answer", "output")])));
        Assert.Equal("many.jsonl: column 'answer' is not in the first 200 records of the file; their columns are: q, a", e.Message);
    }

    [Fact]
    public void An_import_that_rejects_every_row_stores_nothing()
    {
        string path = Write("empty-outputs.jsonl", "{\"input\": \"a\", \"output\": \"\"}\n{\"input\": \"b\"}\n");
        using var store = DataStore.Open(Path.Combine(folder, "data"));
        var e = Assert.Throws<NothingImportedException>(() => store.Import("nothing", path, new ImportOptions(), cancellation: TestContext.Current.CancellationToken));
        Assert.Equal(2, e.Report.Rejected);
        Assert.StartsWith("empty-outputs.jsonl: all 2 rows were rejected (first: row 1: output: missing or empty)", e.Message);
        Assert.Empty(store.Datasets());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(folder, "data", "uploads")));

        var missing = Assert.Throws<MappingException>(() => store.Import("ab", TwoColumns(), new ImportOptions(Map: [("不存在", "input")]),
            cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("its columns are: A, B", missing.Message);
        Assert.Empty(store.Datasets());
    }

    [Fact]
    public void A_confirmed_mapping_is_what_the_import_stores()
    {
        using var store = DataStore.Open(Path.Combine(folder, "data"));
        string path = TwoColumns();
        var preview = DatasetImporter.Preview(path, new ImportOptions());
        var (dataset, report) = store.Import("ab", path, new ImportOptions(Mapping: preview.Mapping.Swapped()), cancellation: TestContext.Current.CancellationToken);
        Assert.Equal((2L, 1L), (dataset.Rows, dataset.Rejected));
        Assert.StartsWith("mapped by the user (detector: guessed from column order: 'A' → 'B'", report.MappingReason);
        var rows = store.Rows(dataset.Id).ToList();
        Assert.Equal(("我很想念你。", "思君甚切。"), (rows[0].Input!, rows[0].Output));
        Assert.Equal(preview.Mapping.Swapped(), store.MappingOf("ab"));
    }
}
