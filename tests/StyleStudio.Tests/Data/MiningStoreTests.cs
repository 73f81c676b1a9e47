using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>Mining sessions in the store: everything a review holds survives closing and reopening the data folder.</summary>
public abstract class MiningStoreTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("mining-").FullName;
    readonly IStoreBackend backend;
    DataStore store;

    protected MiningStoreTests(IStoreBackend backend)
    {
        this.backend = backend;
        store = backend.Open(folder);
    }

    public void Dispose()
    {
        store.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    static List<MiningCandidate> Candidates(int count) =>
        Enumerable.Range(0, count).Select(i => new MiningCandidate(i, $"源文本 {i}", $"target {i}", 1 - i / (double)count, 0.5 - i / (4.0 * count))).ToList();

    void Reopen()
    {
        store.Dispose();
        store = backend.Open(folder);
    }

    [Fact]
    public void A_session_keeps_its_candidates_sample_labels_decisions_threshold_and_publications_across_a_reopen()
    {
        var candidates = Candidates(2500);   // three chunks
        var created = store.Mining.Create("news", "posts", "Auto", orderUsed: false, candidates,
            [new SampleLabel(3, candidates[3].Score, 2.5, null), new SampleLabel(2000, candidates[2000].Score, 40, null)], 0.2);
        Assert.Equal((2500, 0.2, "news", "posts"), (created.Candidates, created.Threshold, created.SourceCorpus, created.TargetCorpus));

        store.Mining.Label(created.Id, 2000, false);
        store.Mining.Decide(created.Id, 7, PairDecision.Rejected);
        store.Mining.Decide(created.Id, 2400, PairDecision.Accepted);
        store.Mining.Decide(created.Id, 8, PairDecision.Accepted);
        store.Mining.Decide(created.Id, 8, PairDecision.Undecided);   // taken back
        store.Mining.SetThreshold(created.Id, 0.35);
        var when = new DateTime(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
        store.Mining.AddPublication(created.Id, new MiningPublication("mined", 2, 812, when));
        Reopen();

        var session = Assert.Single(store.Mining.All());
        Assert.Equal((created.Id, 0.35, 2500), (session.Id, session.Threshold, session.Candidates));
        Assert.Equal([new SampleLabel(3, candidates[3].Score, 2.5, null), new SampleLabel(2000, candidates[2000].Score, 40, false)], session.Sample);
        Assert.Equal([new MiningPublication("mined", 2, 812, when)], session.Publications);
        Assert.Equal(candidates, store.Mining.Candidates(created.Id));
        Assert.Equal(new Dictionary<int, PairDecision> { [7] = PairDecision.Rejected, [2400] = PairDecision.Accepted },
            store.Mining.Decisions(created.Id).OrderBy(d => d.Key).ToDictionary());
    }

    [Fact]
    public void Decisions_on_missing_candidates_labels_outside_the_sample_and_thresholds_outside_0_to_1_are_refused()
    {
        var session = store.Mining.Create("a", "b", "Unrelated", false, Candidates(10), [new SampleLabel(0, 1, 1, null)], 0.2);
        Assert.Contains("has candidates 1–10, not 11", Assert.Throws<ArgumentException>(() => store.Mining.Decide(session.Id, 10, PairDecision.Accepted)).Message);
        Assert.Contains("candidate 5 is not in the confirmation sample", Assert.Throws<ArgumentException>(() => store.Mining.Label(session.Id, 4, true)).Message);
        Assert.Contains("from 0 to 1", Assert.Throws<ArgumentException>(() => store.Mining.SetThreshold(session.Id, 1.5)).Message);
        Assert.Contains("no mining session 99", Assert.Throws<ArgumentException>(() => store.Mining.Get(99)).Message);
        Assert.Empty(store.Mining.Decisions(session.Id));
    }

    [Fact]
    public void Deleting_a_session_removes_its_candidates_and_decisions()
    {
        var first = store.Mining.Create("a", "b", "Auto", false, Candidates(5), [], 0.2);
        var second = store.Mining.Create("a", "c", "Auto", false, Candidates(3), [], 0.2);
        store.Mining.Decide(first.Id, 1, PairDecision.Accepted);
        store.Mining.Delete(first.Id);
        Reopen();
        Assert.Equal([second.Id], store.Mining.All().Select(s => s.Id));
        Assert.Throws<ArgumentException>(() => store.Mining.Candidates(first.Id));
        Assert.Equal(3, store.Mining.Candidates(second.Id).Count);
    }
}

public sealed class MiningStoreTestsOnLiteDb() : MiningStoreTests(new LiteDbBackend());

public sealed class MiningStoreTestsOnPostgres(PostgresTestDatabase database) : MiningStoreTests(database.Backend()), IClassFixture<PostgresTestDatabase>;
