using System.Text;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>After the import: re-mapping the stored original into a new version, renaming, deleting datasets and runs.</summary>
public abstract class DatasetLifecycleTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-lifecycle-").FullName;
    readonly IStoreBackend backend;
    readonly DataStore store;

    protected DatasetLifecycleTests(IStoreBackend backend)
    {
        this.backend = backend;
        store = backend.Open(Path.Combine(folder, "data"));
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    (DatasetSummary Dataset, string Path) ImportSwapped()
    {
        string path = Path.Combine(folder, "ab.csv");
        File.WriteAllText(path, "A,B\n思君甚切。,我很想念你。\n今日天朗气清。,今天天气很好。\n", new UTF8Encoding(false));
        return (store.Import("ab", path, new ImportOptions(), cancellation: TestContext.Current.CancellationToken).Dataset, path);
    }

    [Fact]
    public void Re_mapping_the_stored_original_makes_a_new_version_and_revert_goes_back()
    {
        var (dataset, path) = ImportSwapped();
        File.Delete(path);   // the store's own copy is what counts
        Assert.Equal("思君甚切。", store.Rows(dataset.Id).First().Input);

        var preview = store.PreviewRemap("ab");
        Assert.Equal(("A", "B"), (preview.Mapping.Input, preview.Mapping.Output));   // starts from the stored mapping
        var (remapped, report) = store.Remap("ab", preview.Mapping.Swapped(), TestContext.Current.CancellationToken);
        Assert.Equal((2, 2L, 0L), (remapped.Version, remapped.Rows, report.Rejected));
        Assert.Equal(("我很想念你。", "思君甚切。"), (store.Rows(dataset.Id).First().Input!, store.Rows(dataset.Id).First().Output));
        var version = store.Versions("ab")[1];
        Assert.Equal((1, "re-map ab.csv: B→input, A→output"), (version.Parent!.Value, version.Steps.Single()));
        Assert.Equal(preview.Mapping.Swapped(), store.MappingOf("ab"));

        store.Revert("ab", 1);
        Assert.Equal("思君甚切。", store.Rows(dataset.Id).First().Input);

        Assert.Throws<MappingException>(() => store.Remap("ab", new FieldMapping { Input = "A", Output = "Z" }, TestContext.Current.CancellationToken));
        Assert.Equal(2, store.Versions("ab").Count);   // a refused re-map adds nothing
        store.Create("made", [new DatasetRow { Instruction = "q", Output = "a" }], "test");
        Assert.Contains("has no original", Assert.Throws<ArgumentException>(() => store.PreviewRemap("made")).Message);
    }

    [Fact]
    public void Delete_removes_every_version_the_rejections_and_the_upload()
    {
        var (dataset, _) = ImportSwapped();
        store.Clean("ab", [new StyleStudio.Data.Cleaning.NormalizeText()]);
        string uploads = Path.GetDirectoryName(store.OriginalFile(dataset.Id))!;
        Assert.True(Directory.Exists(uploads));

        store.Delete("ab");
        Assert.Empty(store.Datasets());
        Assert.False(Directory.Exists(uploads));
        Assert.Empty(store.Rows(dataset.Id, 1));
        Assert.Empty(store.Rows(dataset.Id, 2));
        Assert.Empty(store.ImportErrors(dataset.Id));
        Assert.Contains("no dataset named 'ab'", Assert.Throws<ArgumentException>(() => store.Delete("ab")).Message);
        ImportSwapped();   // the name is free again
    }

    [Fact]
    public void A_dataset_a_queued_or_running_run_reads_cannot_be_deleted()
    {
        var (dataset, _) = ImportSwapped();
        var run = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        var e = Assert.Throws<InvalidOperationException>(() => store.Delete("ab"));
        Assert.Equal($"'ab' is used by run {run.Id} (r), which is queued; cancel it or let it finish, then delete the dataset", e.Message);
        store.Runs.MarkFinished(run.Id, RunStatus.Completed, "done");
        store.Delete("ab");
    }

    [Fact]
    public void Rename_checks_the_name_keeps_the_rows_and_updates_runs()
    {
        var (dataset, _) = ImportSwapped();
        var run = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        store.Create("taken", [new DatasetRow { Instruction = "q", Output = "a" }], "test");

        var renamed = store.Rename("ab", "古风 对照");
        Assert.Equal((dataset.Id, 2L), (renamed.Id, store.Find("古风 对照").Rows));
        Assert.Equal("古风 对照", store.Runs.Get(run.Id).DatasetName);
        Assert.Throws<ArgumentException>(() => store.Find("ab"));

        Assert.Equal("a dataset named 'taken' already exists", Assert.Throws<ArgumentException>(() => store.Rename("古风 对照", "taken")).Message);
        Assert.Contains("path separators", Assert.Throws<ArgumentException>(() => store.Rename("古风 对照", "a/b")).Message);
        Assert.Equal("古风 对照", store.Datasets().Single(d => d.Id == dataset.Id).Name);
    }

    [Theory]
    [InlineData("", "cannot be empty")]
    [InlineData("   ", "cannot be empty")]
    [InlineData(" padded", "starts or ends with spaces")]
    [InlineData("a\\b", "'\\'; path separators are not allowed")]
    [InlineData("line\nbreak", "control character (U+000A) at position 5")]
    [InlineData("..", "cannot be a dataset name")]
    public void Bad_names_are_refused_with_the_reason(string name, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => DatasetNames.Check(name)).Message);

    [Fact]
    public void Names_may_be_chinese_and_up_to_the_limit()
    {
        Assert.Equal("现代文→古风 v2.train", DatasetNames.Check("现代文→古风 v2.train"));
        DatasetNames.Check(new string('字', DatasetNames.MaxLength));
        Assert.Contains("the limit is 100", Assert.Throws<ArgumentException>(() => DatasetNames.Check(new string('字', 101))).Message);
    }

    [Fact]
    public void Deleting_a_run_removes_its_record_metrics_and_folder_but_not_while_it_runs()
    {
        var (dataset, _) = ImportSwapped();
        var run = store.Runs.Create("r", dataset, "qwen2", new RunRequest());
        Directory.CreateDirectory(Path.Combine(run.OutputDir, "checkpoint-2"));
        File.WriteAllText(Path.Combine(run.OutputDir, "adapter_config.json"), "{}");
        store.Runs.AddMetric(run.Id, new TrainingEvent(1, 2, 0.5, 1.0, 1e-3, null, 10, 1, 1));
        store.Runs.MarkRunning(run.Id, "training");

        var refused = Assert.Throws<InvalidOperationException>(() => store.Runs.Delete(run.Id));
        Assert.Equal($"run {run.Id} (r) is running; cancel it first, then delete it", refused.Message);
        Assert.True(Directory.Exists(run.OutputDir));

        store.Runs.MarkFinished(run.Id, RunStatus.Cancelled, "cancelled");
        store.Runs.Delete(run.Id);
        Assert.Empty(store.Runs.All());
        Assert.Empty(store.Runs.Metrics(run.Id));
        Assert.False(Directory.Exists(run.OutputDir));
        Assert.Equal(2L, store.Find("ab").Rows);   // the dataset stays
    }
}

public sealed class DatasetLifecycleTestsOnLiteDb() : DatasetLifecycleTests(new LiteDbBackend());

public sealed class DatasetLifecycleTestsOnPostgres(PostgresTestDatabase database) : DatasetLifecycleTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
