using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The studio's mining use case on corpora whose true pairs are known (the official→social sample pairs shuffled apart
/// with a quarter of unrelated lines): the sample labelled from the truth estimates the precision the truth gives, and
/// publishing adds exactly the chosen pairs, once.
/// </summary>
public sealed class PairMiningServiceTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("pair-mining-").FullName;
    readonly DataStore store;
    readonly PairMining mining;
    readonly ShuffledCorpora corpora = ShuffledCorpora.From(ShuffledCorpora.SamplePairs("official-to-social"), 0.25, seed: 2);
    readonly HashSet<(string, string)> truePairs;

    readonly ITestOutputHelper output;

    public PairMiningServiceTests(ITestOutputHelper output)
    {
        this.output = output;
        store = DataStore.Open(folder);
        mining = new PairMining(store);
        store.Corpora.Create("official", "正式", "official.txt", corpora.Sources, "lines");
        store.Corpora.Create("social", "社交", "social.txt", corpora.Targets, "lines");
        truePairs = corpora.Truth.Select(t => (corpora.Sources[t.Key], corpora.Targets[t.Value])).ToHashSet();
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    bool IsTrue(MiningCandidate candidate) => truePairs.Contains((candidate.Source, candidate.Target));

    /// <summary>Progress that records each report as it is made (Progress&lt;T&gt; would post them later).</summary>
    sealed class Reports : IProgress<double>
    {
        public List<double> Values { get; } = [];
        public void Report(double value) { lock (Values) Values.Add(value); }
    }

    [Fact]
    public async Task The_labelled_sample_estimates_the_true_precision_and_publishing_adds_the_chosen_pairs_once_with_their_scores()
    {
        var progress = new Reports();
        var session = await mining.MineAsync("official", "social", CorpusOrder.Unrelated, progress, TestContext.Current.CancellationToken);
        Assert.Equal(1, progress.Values[^1]);
        Assert.Equal(20, session.Sample.Count);
        var candidates = mining.Candidates(session.Id);
        Assert.Equal(candidates.Select(c => c.Score).OrderDescending(), candidates.Select(c => c.Score));

        var review = new MiningReview(mining, session.Id);
        foreach (var label in session.Sample) review.Label(label.Candidate, IsTrue(candidates[label.Candidate]));
        double suggested = review.Suggested ?? throw new Xunit.Sdk.XunitException("no threshold reaches 90 % on the sample");
        Assert.Equal(suggested, review.Session.Threshold);   // completing the sample moves the threshold to the suggestion

        var point = review.AtThreshold;
        var kept = candidates.Where(c => c.Score >= suggested).ToList();
        double truePrecision = kept.Count(IsTrue) / (double)kept.Count;
        output.WriteLine($"threshold {suggested:F3}: estimated precision {point.Precision:F3} ({point.Low:F3}–{point.High:F3}), true {truePrecision:F3}, {kept.Count} kept of {candidates.Count}");
        Assert.Equal(kept.Count, point.Kept);
        Assert.InRange(truePrecision, point.Low, point.High);
        Assert.InRange(point.CorrectKept, kept.Count * point.Low, kept.Count * point.High);

        // Reject a kept pair and accept one below the threshold (neither in the sample).
        var sampled = session.Sample.Select(s => s.Candidate).ToHashSet();
        var rejected = kept.First(c => !sampled.Contains(c.Index));
        var accepted = candidates.First(c => c.Score < suggested && !sampled.Contains(c.Index));
        review.Decide(rejected.Index, PairDecision.Rejected);
        review.Decide(accepted.Index, PairDecision.Accepted);

        var wrongInSample = session.Sample.Where(s => !IsTrue(candidates[s.Candidate])).Select(s => s.Candidate).ToHashSet();
        var rightInSample = sampled.Except(wrongInSample).ToHashSet();
        var expected = candidates.Where(c => c.Index == accepted.Index
            || (c.Score >= suggested && c.Index != rejected.Index && !wrongInSample.Contains(c.Index))
            || (c.Score < suggested && rightInSample.Contains(c.Index))).ToList();
        Assert.Equal(expected.Count, review.ChosenCounts().Kept + review.ChosenCounts().AcceptedBelow);

        var published = review.Publish("mined", "social", "改写成社交媒体帖子：");
        Assert.Equal(new MiningPublished("mined", 1, expected.Count, expected.Count), published);
        var dataset = store.Find("mined");
        var rows = store.Rows(dataset.Id).ToList();
        Assert.Equal(expected.Select(c => (c.Source, c.Target, (double?)c.Score)), rows.Select(r => (r.Input!, r.Output, r.Score)));
        Assert.All(rows, r => Assert.Equal(("改写成社交媒体帖子：", "social"), (r.Instruction, r.Style)));
        int reviewed = sampled.Count + 2;
        Assert.Equal([$"mined {expected.Count} pairs from official × social at threshold {PairMining.Format(suggested)} ({reviewed} reviewed)"],
            store.Versions("mined").Single().Steps);

        // Publishing again adds nothing; one more accepted pair adds only that pair.
        Assert.Contains($"all {expected.Count} chosen pairs are already in 'mined'",
            Assert.Throws<ArgumentException>(() => review.Publish("mined", "social", "改写成社交媒体帖子：")).Message);
        Assert.Single(store.Versions("mined"));
        var another = candidates.Last(c => c.Score < suggested && !sampled.Contains(c.Index));
        review.Decide(another.Index, PairDecision.Accepted);
        var second = review.Publish("mined", "social", "改写成社交媒体帖子：");
        Assert.Equal(new MiningPublished("mined", 2, expected.Count + 1, 1), second);
        Assert.Equal((another.Source, another.Target), (store.Rows(dataset.Id).Last().Input!, store.Rows(dataset.Id).Last().Output));
        Assert.Equal([1, 2], mining.Session(session.Id).Publications.Select(p => p.Version));
    }

    [Fact]
    public async Task Mining_a_corpus_against_itself_or_a_missing_one_is_refused_by_name()
    {
        var same = await Assert.ThrowsAsync<ArgumentException>(() => mining.MineAsync("official", "official", CorpusOrder.Auto, null, TestContext.Current.CancellationToken));
        Assert.Contains("both sides are 'official'", same.Message);
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => mining.MineAsync("official", "posts", CorpusOrder.Auto, null, TestContext.Current.CancellationToken));
        Assert.Contains("no corpus named 'posts'", missing.Message);
        Assert.Empty(mining.Sessions());
    }

    [Fact]
    public async Task English_corpora_are_mined_by_meaning_too_and_the_session_says_so()
    {
        // Held-out formal/casual pairs (Fixtures/mining): by words alone recall stays near 0.7, with meaning above the bar.
        var english = ShuffledCorpora.From(ShuffledCorpora.HeldOutPairs("formal-casual-en"), 0.25, seed: 3);
        store.Corpora.Create("formal", "formal", "formal.txt", english.Sources, "lines");
        store.Corpora.Create("casual", "casual", "casual.txt", english.Targets, "lines");
        var session = await mining.MineAsync("formal", "casual", CorpusOrder.Unrelated, null, TestContext.Current.CancellationToken);
        Assert.Equal("all-MiniLM-L6-v2", session.MeaningModel);
        Assert.Equal("all-MiniLM-L6-v2", mining.Session(session.Id).MeaningModel);   // kept with the session
        var truth = english.Truth.Select(t => (english.Sources[t.Key], english.Targets[t.Value])).ToHashSet();
        var accepted = mining.Candidates(session.Id).Where(c => c.Score >= session.Threshold).ToList();
        double precision = accepted.Count(c => truth.Contains((c.Source, c.Target))) / (double)accepted.Count;
        double recall = accepted.Count(c => truth.Contains((c.Source, c.Target))) / (double)truth.Count;
        output.WriteLine($"precision {precision:F3}, recall {recall:F3}");
        Assert.True(precision >= 0.9 && recall >= 0.8, $"precision {precision:F3}, recall {recall:F3}");

        // Chinese corpora are compared by words only: the English model does not read them.
        var chinese = await mining.MineAsync("official", "social", CorpusOrder.Unrelated, null, TestContext.Current.CancellationToken);
        Assert.Null(chinese.MeaningModel);
    }
}
