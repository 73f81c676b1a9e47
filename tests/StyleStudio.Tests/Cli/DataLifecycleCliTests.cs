using System.Text;
using System.Text.Json;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Cli;

/// <summary>
/// `data import` refuses mappings that cannot work and stores nothing; `data remap`, `data rename`, `data rm` and
/// `run rm` change the data folder the studio uses — all through the real program.
/// </summary>
public sealed class DataLifecycleCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-cli-data-").FullName;
    string Data => Path.Combine(folder, "data");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string TwoColumns()
    {
        string path = Path.Combine(folder, "ab.csv");
        File.WriteAllText(path, "A,B\n思君甚切。,我很想念你。\n今日天朗气清。,今天天气很好。\n", new UTF8Encoding(false));
        return path;
    }

    JsonElement Datasets()
    {
        var inspect = CliRunner.Run("data", "inspect", "--data", Data, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        return JsonDocument.Parse(inspect.Stdout).RootElement;
    }

    [Fact]
    public void Mapping_a_missing_column_exits_1_naming_the_columns_and_stores_nothing()
    {
        var run = CliRunner.Run("data", "import", TwoColumns(), "--map", "不存在=input", "--data", Data);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: ab.csv: column '不存在' is not in the file; its columns are: A, B", run.Stderr);
        Assert.Equal(0, Datasets().GetArrayLength());
        Assert.False(Directory.Exists(Path.Combine(Data, "uploads")) && Directory.EnumerateFileSystemEntries(Path.Combine(Data, "uploads")).Any());
    }

    [Fact]
    public void A_mapping_that_rejects_every_row_exits_1_lists_the_rows_and_stores_nothing()
    {
        string path = Path.Combine(folder, "answers-missing.csv");
        File.WriteAllText(path, "原文,译文\n今天天气很好。,\n我很想念你。,\n", new UTF8Encoding(false));
        var rejected = CliRunner.Run("data", "import", path, "--data", Data);
        Assert.Equal(1, rejected.ExitCode);
        Assert.Contains("rejected row 2: 译文: missing or empty", rejected.Stderr);
        Assert.Contains("rejected row 3: 译文: missing or empty", rejected.Stderr);
        Assert.Contains("error: answers-missing.csv: all 2 rows were rejected (first: row 2: 译文: missing or empty), so nothing was imported", rejected.Stderr);
        Assert.Equal(0, Datasets().GetArrayLength());
        Assert.Equal(0, CliRunner.Run("data", "import", TwoColumns(), "--data", Data).ExitCode);
        Assert.Equal(1, CliRunner.Run("data", "import", path, "--name", "again", "--data", Data).ExitCode);
        Assert.Equal(["ab"], Datasets().EnumerateArray().Select(d => d.GetProperty("name").GetString()));
    }

    [Fact]
    public void Remap_rename_and_rm_work_on_the_stored_dataset()
    {
        var import = CliRunner.Run("data", "import", TwoColumns(), "--data", Data);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains("warning: the mapping is uncertain (confidence 60", import.Stderr);   // a guess from column order
        var remap = CliRunner.Run("data", "remap", "ab", "--map", "B=input", "--map", "A=output", "--data", Data);
        Assert.True(remap.ExitCode == 0, remap.Stderr);
        Assert.Contains("ab is now v2 with 2 rows, 0 rejected · mapping B→input, A→output (undo: stylestudio data revert ab 1)", remap.Stdout);

        var rename = CliRunner.Run("data", "rename", "ab", "古风对照", "--data", Data);
        Assert.True(rename.ExitCode == 0, rename.Stderr);
        var bad = CliRunner.Run("data", "rename", "古风对照", "a/b", "--data", Data);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("path separators are not allowed", bad.Stderr);

        var show = CliRunner.Run("data", "inspect", "古风对照", "--data", Data, "--json");
        Assert.Equal("我很想念你。", JsonDocument.Parse(show.Stdout).RootElement.GetProperty("rows")[0].GetProperty("input").GetString());
        Assert.Equal("B→input, A→output", JsonDocument.Parse(show.Stdout).RootElement.GetProperty("mapping").GetString());

        var rm = CliRunner.Run("data", "rm", "古风对照", "--data", Data);
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.Contains("deleted '古风对照' (2 versions, 2 rows in the current one) and its original file", rm.Stdout);
        Assert.Equal(0, Datasets().GetArrayLength());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Data, "uploads")));
        Assert.Equal(1, CliRunner.Run("data", "rm", "古风对照", "--data", Data).ExitCode);
    }

    [Fact]
    public void Run_rm_deletes_a_finished_run_and_refuses_a_running_one()
    {
        int finished, running;
        string finishedDir;
        using (var store = DataStore.Open(Data))
        {
            var dataset = store.Create("pairs", [new DatasetRow { Instruction = "q", Output = "a" }], "test");
            var a = store.Runs.Create("done", dataset, "qwen2", new RunRequest());
            var b = store.Runs.Create("busy", dataset, "qwen2", new RunRequest());
            store.Runs.MarkFinished(a.Id, RunStatus.Completed, "ok");
            store.Runs.MarkRunning(b.Id, "training");
            Directory.CreateDirectory(Path.Combine(a.OutputDir, "checkpoint-1"));
            (finished, running, finishedDir) = (a.Id, b.Id, a.OutputDir);
        }
        var refused = CliRunner.Run("run", "rm", running.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", Data);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"error: run {running} (busy) is running; cancel it first, then delete it", refused.Stderr);

        var rm = CliRunner.Run("run", "rm", finished.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", Data);
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.False(Directory.Exists(finishedDir));
        var list = CliRunner.Run("run", "list", "--data", Data, "--json");
        Assert.Equal(["busy"], JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
    }
}
