using System.Text;
using System.Text.Json;
using StyleStudio.Data.Import;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Rating;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>
/// The stores without test classes of their own on both backends: imported rows, evaluations, rating studies and pair
/// generations keep what they were given across closing and reopening the store.
/// </summary>
public abstract class StoresTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stores-").FullName;
    readonly IStoreBackend backend;
    DataStore store;

    protected StoresTests(IStoreBackend backend)
    {
        this.backend = backend;
        store = backend.Open(Path.Combine(folder, "data"));
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    void Reopen()
    {
        store.Dispose();
        store = backend.Open(Path.Combine(folder, "data"));
    }

    [Fact]
    public void Imported_rows_errors_and_original_survive_reopening()
    {
        string path = Path.Combine(folder, "pairs.jsonl");
        var lines = Enumerable.Range(0, 2500).Select(i => JsonSerializer.Serialize(new
        {
            instruction = "改写成古风", input = $"第{i}句现代文", output = $"第{i}句古文", history = i % 2 == 0 ? new[] { new[] { "前问", "前答" } } : null,
        })).Append("""{"instruction": "x", "output": 7}""");
        File.WriteAllLines(path, lines, new UTF8Encoding(false));
        var (dataset, report) = store.Import("classical", path, new ImportOptions(Style: "古风"), cancellation: TestContext.Current.CancellationToken);
        Assert.Equal((2500L, 1L, 2500), (dataset.Rows, dataset.Rejected, report.Imported));
        Assert.Throws<ArgumentException>(() => store.Import("Classical", path, new ImportOptions(), cancellation: TestContext.Current.CancellationToken));   // names ignore case
        Reopen();

        var found = store.Find("classical");
        var rows = store.Rows(found.Id).ToList();
        Assert.Equal(2500, rows.Count);                                // three chunk documents, in order
        Assert.Equal(("第2499句现代文", "第2499句古文", "古风"), (rows[^1].Input!, rows[^1].Output, rows[^1].Style!));
        Assert.Equal("前问", Assert.Single(rows[0].History).User);
        Assert.Equal("row 2501: output: must be text, got number", Assert.Single(store.ImportErrors(found.Id)).ToString());
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(store.OriginalFile(found.Id)));
        Assert.Equal(dataset.CreatedUtc, found.CreatedUtc);
    }

    [Fact]
    public void An_evaluation_keeps_its_settings_progress_report_and_cancel_request()
    {
        var settings = new EvaluationSettings("pairs", "run-3", null, 50, 128, Predictions: ["一", "二"], Judge: new EvaluationJudge("http://judge", "m", "古风"), Style: "古风");
        var created = store.Evaluations.Create("eval", settings, 2);
        store.Evaluations.SetJob(created.Id, "job-1");
        store.Evaluations.Start(created.Id, 40);
        store.Evaluations.Progress(created.Id, 17);
        store.Evaluations.RequestCancel(created.Id);
        Reopen();

        var running = store.Evaluations.Get(created.Id);
        Assert.Equal((EvaluationStatus.Running, 17, 40, true, "job-1"), (running.Status, running.Done, running.Total, running.CancelRequested, store.Evaluations.JobOf(created.Id)));
        Assert.Equal(settings.Predictions, running.Settings.Predictions);
        Assert.Equal(settings with { Predictions = null }, running.Settings with { Predictions = null });
        store.Evaluations.Finish(created.Id, EvaluationStatus.Completed, "done", """{"bleu": 12.5}""");
        Assert.Equal("""{"bleu": 12.5}""", store.Evaluations.Get(created.Id).ReportJson);
        Assert.Null(Assert.Single(store.Evaluations.All()).ReportJson);   // lists leave reports out
        store.Evaluations.Delete(created.Id);
        Assert.Empty(store.Evaluations.All());
    }

    [Fact]
    public void A_rating_study_keeps_its_items_and_each_rater_s_latest_judgement()
    {
        var study = store.Ratings.Create(" study ", "pairs", 1, "run-1", "run-2",
            [new StudyItem(0, "源", "一", "二", "参考"), new StudyItem(1, "源2", "三", "四")]);
        Assert.Contains("exists already", Assert.Throws<ArgumentException>(() => store.Ratings.Create("STUDY", "pairs", 1, "a", "b", [new StudyItem(0, "s", "1", "2")])).Message);
        var when = new DateTime(2026, 11, 30, 8, 0, 0, DateTimeKind.Utc);
        store.Ratings.Save(new StudyRating(study.Id, 1, "Alice", StudyPreference.System1, true, new AxisScores(5, 4, null), AxisScores.None, when));
        store.Ratings.Save(new StudyRating(study.Id, 0, "Bob", StudyPreference.Tie, false, AxisScores.None, new AxisScores(1, 2, 3), when));
        store.Ratings.Save(new StudyRating(study.Id, 1, "Alice", StudyPreference.System2, false, AxisScores.None, new AxisScores(3, 3, 3), when));   // replaces
        Reopen();

        var back = store.Ratings.Get(study.Id);
        Assert.Equal(("study", "参考", (string?)null), (back.Name, back.Items[0].Reference, back.Items[1].Reference));
        var ratings = store.Ratings.Ratings(study.Id);
        Assert.Equal([(0, "Bob", StudyPreference.Tie), (1, "Alice", StudyPreference.System2)], ratings.Select(r => (r.Item, r.Rater, r.Preference)));
        Assert.Equal(new AxisScores(3, 3, 3), ratings[1].System2Scores);
        Assert.Equal(when, ratings[1].RatedUtc.ToUniversalTime());
        store.Ratings.Delete(study.Id);
        Assert.Empty(store.Ratings.Ratings(study.Id));
    }

    [Fact]
    public void A_pair_generation_counts_its_items_and_keeps_them_in_order()
    {
        var settings = new PairGenerationSettings(PairSourceKind.Corpus, "古文", new PairRewriter("qwen2", "http://endpoint"), "改写：{text}",
            0.7, 256, 3, PairFilterSettings.For(chinese: true), "mined", "古风", "改写成古风");
        var created = store.PairGenerations.Create(settings);
        store.PairGenerations.Start(created.Id, 3);
        store.PairGenerations.Add(created.Id, new PairItem(2, "乙", null, null, "timeout", null));
        store.PairGenerations.Add(created.Id, new PairItem(0, "甲", "a", null, null, 0.8));
        var third = store.PairGenerations.Add(created.Id, new PairItem(1, "丙", "丙", new PairRejection(PairFilter.Echo), null, 1.0));
        Assert.Equal((3, 1, 1, 1), (third.Done, third.Kept, third.Rejected, third.Failed));
        store.PairGenerations.Finish(created.Id, PairGenerationStatus.Completed, "done", datasetVersion: 4);
        Reopen();

        var back = store.PairGenerations.Get(created.Id);
        Assert.Equal((PairGenerationStatus.Completed, 4, settings), (back.Status, back.DatasetVersion!.Value, back.Settings));
        Assert.Equal([0, 1, 2], store.PairGenerations.Items(created.Id).Select(i => i.Number));
        Assert.Equal(new PairItem(1, "丙", "丙", new PairRejection(PairFilter.Echo), null, 1.0), store.PairGenerations.Items(created.Id)[1]);
        store.PairGenerations.Start(created.Id, 3);   // a restarted job does the texts again
        Assert.Empty(store.PairGenerations.Items(created.Id));
        store.PairGenerations.Delete(created.Id);
        Assert.Empty(store.PairGenerations.All());
    }
}

public sealed class StoresTestsOnLiteDb() : StoresTests(new LiteDbBackend());

public sealed class StoresTestsOnPostgres(PostgresTestDatabase database) : StoresTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
