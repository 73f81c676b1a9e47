using System.Text;
using System.Text.Json;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>The LiteDB data folder: one process at a time; the CLI imports, reports, inspects and cleans in it (imports surviving
/// a reopen are tested on both backends in <see cref="StoresTests"/>).</summary>
public sealed class DataStoreTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-store-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string WriteRows(int good, params string[] extra)
    {
        string path = Path.Combine(folder, "pairs.jsonl");
        var lines = Enumerable.Range(0, good).Select(i => JsonSerializer.Serialize(new
        {
            instruction = "改写成古风", input = $"第{i}句现代文", output = $"第{i}句古文", history = i % 2 == 0 ? new[] { new[] { "前问", "前答" } } : null,
        })).Concat(extra);
        File.WriteAllLines(path, lines, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void A_second_process_on_the_same_folder_fails_fast_with_a_clear_message()
    {
        string data = Path.Combine(folder, "data");
        string path = WriteRows(3);
        using var store = DataStore.Open(data);
        var run = CliRunner.Run("data", "import", path, "--data", data);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"the data folder {data} is in use by another StyleStudio process (pid {Environment.ProcessId}", run.Stderr);
        Assert.Empty(store.Datasets());
    }

    [Fact]
    public void Cli_import_reports_rejected_rows_with_exit_code_2_and_inspect_shows_them()
    {
        string data = Path.Combine(folder, "data");
        string path = WriteRows(3, """{"instruction": "x", "input": "y"}""");
        var run = CliRunner.Run("data", "import", path, "--data", data, "--name", "demo", "--style", "古风");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("imported 'demo': 3 rows, 1 rejected · jsonlines utf-8", run.Stdout);
        Assert.Contains("rejected row 4: output: missing or empty", run.Stderr);

        var inspect = CliRunner.Run("data", "inspect", "demo", "--data", data, "--json");
        Assert.Equal(0, inspect.ExitCode);
        using var json = JsonDocument.Parse(inspect.Stdout);
        Assert.Equal(3, json.RootElement.GetProperty("dataset").GetProperty("rows").GetInt64());
        Assert.Equal("古风", json.RootElement.GetProperty("rows")[0].GetProperty("style").GetString());
        Assert.Equal(4, json.RootElement.GetProperty("errors")[0].GetProperty("row").GetInt64());
    }

    [Fact]
    public void Cli_clean_revert_split_export_preview_and_statistics_work_end_to_end()
    {
        string data = Path.Combine(folder, "data");
        string path = WriteRows(20, """{"instruction": "改写成古风", "input": " 第1句现代文 ", "output": "第1句古文"}""");
        Assert.Equal(0, CliRunner.Run("data", "import", path, "--data", data, "--name", "demo", "--style", "古风").ExitCode);

        var clean = CliRunner.Run("data", "clean", "demo", "--normalize", "--dedup", "--vary-instructions", "7", "--data", data);
        Assert.True(clean.ExitCode == 0, clean.Stderr);
        Assert.Contains("exact duplicates: 21 → 20 rows (1 removed, 0 changed)", clean.Stdout);
        Assert.Contains("demo is now v2 with 20 rows (undo: stylestudio data revert demo 1)", clean.Stdout);

        var inspect = CliRunner.Run("data", "inspect", "demo", "--tokenizer", Fixtures.Model("qwen2"), "--data", data);
        Assert.Contains("v2* 20 rows from v1", inspect.Stdout);
        Assert.Contains("warning: only 20 pairs for style '古风'", inspect.Stdout);

        Assert.Contains("demo is now v1 with 21 rows", CliRunner.Run("data", "revert", "demo", "1", "--data", data).Stdout);
        Assert.Contains("demo.train: 17 rows · demo.validation: 4 rows", CliRunner.Run("data", "split", "demo", "--validation", "0.2", "--data", data).Stdout);

        string exported = Path.Combine(folder, "export");
        Assert.Equal(0, CliRunner.Run("data", "export", "demo.train", "--format", "sharegpt", "--out", exported, "--data", data).ExitCode);
        Assert.True(File.Exists(Path.Combine(exported, "demo.train.json")));
        Assert.True(File.Exists(Path.Combine(exported, "dataset_info.json")));

        var preview = CliRunner.Run("data", "preview", "demo", "--row", "2", "--tokenizer", Fixtures.Model("qwen2"), "--data", data);
        Assert.True(preview.ExitCode == 0, preview.Stderr);
        Assert.Contains("[<|im_start|>system", preview.Stdout);
        Assert.Contains("{第1句古文<|im_end|>", preview.Stdout);
    }
}
