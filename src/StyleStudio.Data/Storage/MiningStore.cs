using LiteDB;
using StyleStudio.Data.Storage.Documents;

namespace StyleStudio.Data.Storage;

/// <summary>What the user said of a mined candidate pair.</summary>
public enum PairDecision { Undecided, Accepted, Rejected }

/// <summary>A candidate pair of a mining session, with its texts (a session outlives edits to its corpora).</summary>
/// <param name="Index">Its place in the session's list, best score first.</param>
public sealed record MiningCandidate(int Index, string Source, string Target, double Score, double Similarity);

/// <summary>A candidate of the confirmation sample and the user's judgement of it (null until given).</summary>
public sealed record SampleLabel(int Candidate, double Score, double Weight, bool? Correct);

/// <summary>A publication of a session's pairs: which version of which dataset, and how many rows it added.</summary>
public sealed record MiningPublication(string Dataset, int Version, int Rows, DateTime CreatedUtc);

/// <summary>A mining session: two corpora mined, the candidates, the confirmation sample and the chosen threshold.</summary>
/// <param name="Order">The order mode asked for (a <c>CorpusOrder</c> name); <paramref name="OrderUsed"/> says whether it applied.</param>
/// <param name="MeaningModel">The sentence encoder whose meaning vectors counted too (English corpora); null when only
/// words were compared, and in sessions stored before it was recorded.</param>
public sealed record MiningSessionRecord(int Id, string SourceCorpus, string TargetCorpus, string Order, bool OrderUsed, DateTime CreatedUtc,
    int Candidates, double Threshold, IReadOnlyList<SampleLabel> Sample, IReadOnlyList<MiningPublication> Publications,
    string? MeaningModel = null);

/// <summary>
/// Mining sessions in the studio's database, so a reload or a restart loses none of a review: one document per session
/// (sample labels, threshold, publications), its candidates in chunk documents of 1,000 (a session may hold a hundred
/// thousand), and one small document per decision (a click writes one document, not the session). A session is written
/// whole or not at all (pending until its last chunk is stored), as corpora are.
/// </summary>
public sealed class MiningStore
{
    const int ChunkSize = 1000;
    readonly IDocumentCollection sessions, chunks, decisions;

    /// <param name="abandonedBefore">Sessions still pending that were started before this were left by a process that died.</param>
    internal MiningStore(IDocumentDatabase database, DateTime abandonedBefore)
    {
        sessions = database.Collection("mining_sessions", DocumentIds.Int32);
        chunks = database.Collection("mining_candidates");
        decisions = database.Collection("mining_decisions");
        foreach (var pending in sessions.Find(DocumentQuery.Eq("pending", true)).ToList())
            if (pending["createdUtc"].AsDateTime.ToUniversalTime() < abandonedBefore) DeleteRecords(pending["_id"].AsInt32);
    }

    /// <summary>Every session, newest first.</summary>
    public IReadOnlyList<MiningSessionRecord> All() =>
        sessions.Find(DocumentQuery.NotEq("pending", true)).Select(Record).OrderByDescending(s => s.Id).ToList();

    public MiningSessionRecord Get(int id) =>
        sessions.FindById(id) is { } document && !document["pending"].AsBoolean ? Record(document) : throw new ArgumentException($"no mining session {id}");

    /// <summary>Stores a new session with its candidates (best first) and its confirmation sample, nothing decided yet.</summary>
    public MiningSessionRecord Create(string sourceCorpus, string targetCorpus, string order, bool orderUsed, IEnumerable<MiningCandidate> candidates,
        IEnumerable<SampleLabel> sample, double threshold, string? meaningModel = null)
    {
        int id = sessions.Insert(new BsonDocument { ["pending"] = true, ["createdUtc"] = DateTime.UtcNow }).AsInt32;
        try
        {
            int count = 0, index = 0;
            foreach (var chunk in candidates.Chunk(ChunkSize))
            {
                chunks.Insert(new BsonDocument
                {
                    ["_id"] = $"{id}:{index++:D9}",
                    ["candidates"] = new BsonArray(chunk.Select(c => new BsonDocument
                    {
                        ["i"] = c.Index, ["s"] = c.Source, ["t"] = c.Target, ["score"] = c.Score, ["similarity"] = c.Similarity,
                    })),
                });
                count += chunk.Length;
            }
            var document = sessions.FindById(id)!;
            document["pending"] = false;
            document["sourceCorpus"] = sourceCorpus;
            document["targetCorpus"] = targetCorpus;
            document["order"] = order;
            document["orderUsed"] = orderUsed;
            document["candidates"] = count;
            document["threshold"] = threshold;
            if (meaningModel is not null) document["meaningModel"] = meaningModel;
            document["sample"] = new BsonArray(sample.Select(Document));
            document["publications"] = new BsonArray();
            sessions.Update(document);
            return Record(document);
        }
        catch
        {
            DeleteRecords(id);
            throw;
        }
    }

    /// <summary>The session's candidates, best first.</summary>
    public IReadOnlyList<MiningCandidate> Candidates(int id)
    {
        Get(id);
        return chunks.Find(DocumentQuery.StartsWith("_id", $"{id}:")).SelectMany(c => c["candidates"].AsArray)
            .Select(c => new MiningCandidate(c["i"].AsInt32, c["s"].AsString, c["t"].AsString, c["score"].AsDouble, c["similarity"].AsDouble)).ToList();
    }

    /// <summary>The candidates the user accepted or rejected (undecided ones are absent).</summary>
    public IReadOnlyDictionary<int, PairDecision> Decisions(int id) =>
        decisions.Find(DocumentQuery.Eq("session", id)).ToDictionary(d => d["candidate"].AsInt32, d => Enum.Parse<PairDecision>(d["decision"].AsString));

    public void Decide(int id, int candidate, PairDecision decision)
    {
        RequireCandidate(id, candidate);
        string key = $"{id}:{candidate}";
        if (decision == PairDecision.Undecided) decisions.Delete(key);
        else decisions.Upsert(new BsonDocument { ["_id"] = key, ["session"] = id, ["candidate"] = candidate, ["decision"] = decision.ToString() });
    }

    /// <summary>Records (or, with null, clears) the user's judgement of a sampled candidate.</summary>
    public MiningSessionRecord Label(int id, int candidate, bool? correct)
    {
        var document = Document(id);
        var entry = document["sample"].AsArray.FirstOrDefault(s => s["candidate"].AsInt32 == candidate)
            ?? throw new ArgumentException($"candidate {candidate + 1} is not in the confirmation sample of session {id}");
        entry["correct"] = correct is { } c ? c : BsonValue.Null;
        sessions.Update(document);
        return Record(document);
    }

    public MiningSessionRecord SetThreshold(int id, double threshold)
    {
        if (threshold is < 0 or > 1 || double.IsNaN(threshold)) throw new ArgumentException($"a threshold is a score from 0 to 1, not {threshold}");
        var document = Document(id);
        document["threshold"] = threshold;
        sessions.Update(document);
        return Record(document);
    }

    public MiningSessionRecord AddPublication(int id, MiningPublication publication)
    {
        var document = Document(id);
        document["publications"].AsArray.Add(new BsonDocument
        {
            ["dataset"] = publication.Dataset, ["version"] = publication.Version, ["rows"] = publication.Rows, ["createdUtc"] = publication.CreatedUtc,
        });
        sessions.Update(document);
        return Record(document);
    }

    public void Delete(int id) => DeleteRecords(Get(id).Id);

    BsonDocument Document(int id) =>
        sessions.FindById(id) is { } document && !document["pending"].AsBoolean ? document : throw new ArgumentException($"no mining session {id}");

    void RequireCandidate(int id, int candidate)
    {
        int count = Document(id)["candidates"].AsInt32;
        if (candidate < 0 || candidate >= count) throw new ArgumentException($"session {id} has candidates 1–{count}, not {candidate + 1}");
    }

    void DeleteRecords(int id)
    {
        chunks.DeleteMany(DocumentQuery.StartsWith("_id", $"{id}:"));
        decisions.DeleteMany(DocumentQuery.Eq("session", id));
        sessions.Delete(id);
    }

    static BsonDocument Document(SampleLabel label) => new()
    {
        ["candidate"] = label.Candidate, ["score"] = label.Score, ["weight"] = label.Weight,
        ["correct"] = label.Correct is { } c ? c : BsonValue.Null,
    };

    static MiningSessionRecord Record(BsonDocument d) => new(d["_id"].AsInt32, d["sourceCorpus"].AsString, d["targetCorpus"].AsString,
        d["order"].AsString, d["orderUsed"].AsBoolean, d["createdUtc"].AsDateTime.ToUniversalTime(), d["candidates"].AsInt32, d["threshold"].AsDouble,
        d["sample"].AsArray.Select(s => new SampleLabel(s["candidate"].AsInt32, s["score"].AsDouble, s["weight"].AsDouble,
            s["correct"].IsNull ? null : s["correct"].AsBoolean)).ToList(),
        d["publications"].AsArray.Select(p => new MiningPublication(p["dataset"].AsString, p["version"].AsInt32, p["rows"].AsInt32,
            p["createdUtc"].AsDateTime.ToUniversalTime())).ToList(),
        d.TryGetValue("meaningModel", out var meaning) && meaning.IsString ? meaning.AsString : null);
}
