using System.Text;
using CsvHelper;
using StyleStudio.Data.Model;
using StyleStudio.Data.Rating;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Agreement;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Runtime;
using StyleStudio.Web.Rating;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// Blind rating below the pages: the bootstrap interval and the aggregation of ratings into results, and the study
/// service over a real data store and the real serving engine (the tiny fixture model as one system).
/// </summary>
public sealed class RatingStudyTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("rating-study-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static StudyRating Rating(int item, string rater, StudyPreference preference, AxisScores? one = null, AxisScores? two = null) =>
        new(1, item, rater, preference, Swapped: false, one ?? AxisScores.None, two ?? AxisScores.None, DateTime.UtcNow);

    static RatingStudy Study(int items) => new(1, "study", "data", 1, "run-1", "base",
        Enumerable.Range(0, items).Select(i => new StudyItem(i, $"source {i}", $"one {i}", $"two {i}")).ToList(), DateTime.UtcNow);

    [Fact]
    public void Bootstrap_interval_agrees_with_the_normal_approximation_on_many_items_and_is_seeded()
    {
        // 400 items, one judgement each, 70 % for system 1: the 95 % interval is about 0.7 ± 1.96·√(0.21/400) = ±0.045.
        var ratings = Enumerable.Range(0, 400).Select(i => Rating(i, "r", i % 10 < 7 ? StudyPreference.System1 : StudyPreference.System2)).ToList();
        var byItem = ratings.Select(r => (IReadOnlyList<StudyRating>)[r]).ToList();
        var win = StudyAnalysis.Bootstrap(byItem, resamples: 4000, seed: 7);
        double half = 1.96 * Math.Sqrt(0.7 * 0.3 / 400);
        Assert.Equal(0.7, win.Rate, 1e-12);
        Assert.Equal(0.7 - half, win.Low, 0.012);
        Assert.Equal(0.7 + half, win.High, 0.012);
        Assert.Equal(win, StudyAnalysis.Bootstrap(byItem, resamples: 4000, seed: 7));          // same seed, same interval
        // It is resampling: other seeds move the (discrete, step 1/800) percentiles now and then.
        Assert.Contains(Enumerable.Range(8, 5), seed => StudyAnalysis.Bootstrap(byItem, resamples: 4000, seed: seed) is var other && (other.Low, other.High) != (win.Low, win.High));
    }

    [Fact]
    public void Bootstrap_resamples_items_so_agreeing_raters_do_not_narrow_the_interval()
    {
        // The same judgements given by 1 rater or copied by 5: resampling items keeps the interval's width.
        var one = Enumerable.Range(0, 60).Select(i => (IReadOnlyList<StudyRating>)[Rating(i, "a", i % 3 == 0 ? StudyPreference.System2 : StudyPreference.System1)]).ToList();
        var five = one.Select(item => (IReadOnlyList<StudyRating>)Enumerable.Range(0, 5).Select(r => item[0] with { Rater = $"r{r}" }).ToList()).ToList();
        var single = StudyAnalysis.Bootstrap(one, seed: 3);
        var copied = StudyAnalysis.Bootstrap(five, seed: 3);
        Assert.Equal(single.Rate, copied.Rate, 1e-12);
        Assert.Equal(single.Low, copied.Low, 1e-12);
        Assert.Equal(single.High, copied.High, 1e-12);
    }

    [Fact]
    public void Ties_and_both_bad_count_half_a_win_to_each_system()
    {
        var study = Study(3);
        StudyRating[] ratings =
        [
            Rating(0, "ann", StudyPreference.System1), Rating(0, "bob", StudyPreference.System2),
            Rating(1, "ann", StudyPreference.Tie), Rating(1, "bob", StudyPreference.BothBad),
            Rating(2, "ann", StudyPreference.System1), Rating(2, "bob", StudyPreference.System1),
        ];
        var results = StudyAnalysis.Analyze(study, ratings);
        Assert.Equal((3 + 0.5 * 2) / 6, results.WinRate.Rate, 1e-12);
        Assert.Equal((3, 1, 1, 1, 6), (results.WinRate.Wins1, results.WinRate.Wins2, results.WinRate.Ties, results.WinRate.BothBad, results.WinRate.Judgements));
        Assert.True(results.WinRate.Low <= results.WinRate.Rate && results.WinRate.Rate <= results.WinRate.High);
        Assert.Equal((2, 3, 3, 6), (results.Raters, results.Items, results.RatedItems, results.Ratings));
    }

    [Fact]
    public void Results_aggregate_scores_per_system_and_alpha_by_system_not_position()
    {
        var study = Study(4);
        // Item 1 was shown swapped to bob: stored by system, so it agrees with ann.
        StudyRating[] ratings =
        [
            Rating(0, "ann", StudyPreference.System1, new(5, 4, 5), new(2, 4, 3)),
            Rating(0, "bob", StudyPreference.System1, new(4, 4, null), new(2, 5, 3)),
            Rating(1, "ann", StudyPreference.System2, new(1, 2, 3), new(4, 4, 4)),
            Rating(1, "bob", StudyPreference.System2, new(2, null, 3), new(5, 5, 4)) with { Swapped = true },
            Rating(2, "ann", StudyPreference.Tie, new(3, 3, 3), new(3, 3, 3)),
            Rating(2, "bob", StudyPreference.BothBad),
            Rating(3, "ann", StudyPreference.System1, new(4, 5, 5), new(1, 5, 4)),
        ];
        var results = StudyAnalysis.Analyze(study, ratings);

        var expectedPreferences = KrippendorffAlpha.Nominal(new[]
        {
            new[] { "1", "1" }, ["2", "2"], ["tie", "bad"], ["1"],
        });
        Assert.Equal(expectedPreferences.Alpha, results.PreferenceAgreement.Alpha, 1e-12);
        Assert.Equal(6, results.PreferenceAgreement.PairableValues);   // item 3 has one rater

        var style = results.Axes.Single(a => a.Axis == RatingAxis.Style);
        Assert.Equal((5 + 4 + 1 + 2 + 3 + 4) / 6.0, style.Mean1!.Value, 1e-12);
        Assert.Equal((2 + 2 + 4 + 5 + 3 + 1) / 6.0, style.Mean2!.Value, 1e-12);
        // Units are outputs (item × system): item 0's system 1 output got 5 and 4, and so on.
        var expectedStyle = KrippendorffAlpha.Compute(new[]
        {
            new double[] { 5, 4 }, [2, 2], [1, 2], [4, 5], [3], [3], [4], [1],
        }, MeasurementLevel.Ordinal);
        Assert.Equal(expectedStyle.Alpha, style.Agreement.Alpha, 1e-12);
        var meaning = results.Axes.Single(a => a.Axis == RatingAxis.Meaning);
        Assert.Equal(5, meaning.Scored1);   // bob left meaning unscored on item 1
        Assert.Equal((4 + 4 + 2 + 3 + 5) / 5.0, meaning.Mean1!.Value, 1e-12);
    }

    [Fact]
    public void Blind_order_is_stable_per_rater_and_item_and_balanced()
    {
        var first = Enumerable.Range(0, 400).Select(i => BlindOrder.Swapped(3, "王芳", i)).ToList();
        Assert.Equal(first, Enumerable.Range(0, 400).Select(i => BlindOrder.Swapped(3, "王芳", i)));
        Assert.InRange(first.Count(s => s), 160, 240);
        Assert.NotEqual(first, Enumerable.Range(0, 400).Select(i => BlindOrder.Swapped(3, "Li Lei", i)));
        foreach (bool swapped in new[] { false, true })
            foreach (var choice in Enum.GetValues<ScreenChoice>())
                Assert.Equal(choice, BlindOrder.ToChoice(BlindOrder.ToPreference(choice, swapped), swapped));
        Assert.Equal(StudyPreference.System2, BlindOrder.ToPreference(ScreenChoice.ABetter, swapped: true));
    }

    [Fact]
    public async Task A_study_with_a_model_system_rates_by_system_resumes_and_exports()
    {
        string[] inputs = ["The meeting has been cancelled.", "Please send the report today.", "We regret the delay.", "Thank you for your patience."];
        using var store = DataStore.Open(Path.Combine(folder, "data"));
        store.Create("held-out", inputs.Select(i => new DatasetRow { Instruction = i, Output = i.ToLowerInvariant() }), "test");
        using var host = new ModelHost(new ServingOptions { Rows = 4, SlotTokens = 256 }, new ModelLoadOptions(DevicePreference.Cpu));
        var generation = new GenerationService(host, new FixedModelDirectory(new ServableModel("qwen2", "qwen2", Fixtures.Model("qwen2"))));
        var studies = new RatingStudies(store, generation);

        string[] lines = ["hey, meeting's off", "send the report pls", "sorry it's late", "thx for waiting"];
        var file = PredictionsFile.Read("casual.txt", Encoding.UTF8.GetBytes(string.Join("\r\n", lines) + "\r\n"));
        Assert.Equal(lines, file.Lines);

        var short_ = PredictionsFile.Read("short.txt", Encoding.UTF8.GetBytes("one\ntwo\n"));
        var mismatch = await Assert.ThrowsAsync<ArgumentException>(() => studies.CreateAsync(new StudyRequest("s", "held-out", 4, short_, new ModelSystem("qwen2", 8)), cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("system 1: short.txt has 2 lines, but the study has 4 rows", mismatch.Message);
        var notUtf8 = Assert.Throws<ArgumentException>(() => PredictionsFile.Read("gbk.txt", [(byte)'o', (byte)'k', (byte)'\n', 0xC4, 0xE3]));
        Assert.Contains("gbk.txt: line 2 is not valid UTF-8", notUtf8.Message);
        var unknown = await Assert.ThrowsAsync<ModelNotFoundException>(() => studies.CreateAsync(new StudyRequest("s", "held-out", 4, file, new ModelSystem("nope", 8)), cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("no model 'nope'", unknown.Message);

        var reports = new List<string>();
        var study = await studies.CreateAsync(new StudyRequest("casual vs base", "held-out", 4, file, new ModelSystem("qwen2", 8)),
            new SynchronousProgress(reports), TestContext.Current.CancellationToken);
        Assert.Equal(GreedyRewrites.Of(inputs, maxNewTokens: 8), study.Items.Select(i => i.Output2));
        Assert.Equal(lines, study.Items.Select(i => i.Output1));
        Assert.Contains("system 2 (qwen2): rewritten 4 / 4", reports);
        var again = await Assert.ThrowsAsync<ArgumentException>(() => studies.CreateAsync(new StudyRequest("casual vs base", "held-out", 4, file, new ModelSystem("qwen2", 8)), cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("exists already", again.Message);

        // A rater prefers the casual file's output wherever it is shown and gives it 5 for style, on two items, then leaves.
        for (int i = 0; i < 2; i++)
        {
            var shown = studies.Item(study.Id, "ann", i);
            bool fileIsA = shown.OutputA == lines[i];
            studies.Rate(study.Id, "ann", i, fileIsA ? ScreenChoice.ABetter : ScreenChoice.BBetter,
                fileIsA ? new AxisScores(Style: 5) : AxisScores.None, fileIsA ? AxisScores.None : new AxisScores(Style: 5));
        }
        Assert.Equal(2, studies.NextItem(study.Id, "ann"));
        Assert.Equal(0, studies.NextItem(study.Id, "bob"));
        // bob does the same on every item.
        while (studies.NextItem(study.Id, "bob") is { } next)
        {
            var shown = studies.Item(study.Id, "bob", next);
            bool fileIsA = shown.OutputA == lines[next];
            studies.Rate(study.Id, "bob", next, fileIsA ? ScreenChoice.ABetter : ScreenChoice.BBetter,
                fileIsA ? new AxisScores(Style: 5) : AxisScores.None, fileIsA ? AxisScores.None : new AxisScores(Style: 5));
        }
        var stored = store.Ratings.Ratings(study.Id);
        Assert.Equal(6, stored.Count);
        Assert.Contains(stored, r => r.Swapped);    // both orders were shown…
        Assert.Contains(stored, r => !r.Swapped);
        Assert.All(stored, r => Assert.Equal(StudyPreference.System1, r.Preference));   // …and every judgement is system 1's
        Assert.All(stored, r => Assert.Equal(5, r.System1Scores.Style));   // the score went with the output, not the position
        var back = studies.Item(study.Id, "ann", 1);
        Assert.Equal(back.Swapped ? ScreenChoice.BBetter : ScreenChoice.ABetter, back.Earlier);

        var csv = studies.ExportCsv(study.Id);
        using var reader = CsvReader.FromText(csv, new CsvReaderOptions());
        var rows = new List<string[]>();
        while (reader.Read()) rows.Add(Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray());
        Assert.Equal(StudyExport.Header, reader.Headers.ToArray());
        Assert.Equal(6, rows.Count);
        int preferred = Array.IndexOf(StudyExport.Header, "preferred_system");
        Assert.All(rows, row => Assert.Equal("casual.txt", row[preferred]));
        Assert.All(rows, row => Assert.Equal("qwen2", row[Array.IndexOf(StudyExport.Header, "system_2")]));
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool, so a test could miss the last one).</summary>
    sealed class SynchronousProgress(List<string> reports) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
