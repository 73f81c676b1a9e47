using JsonSerializer = System.Text.Json.JsonSerializer;
using LiteDB;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Data.Pairs;

namespace StyleStudio.Data.Storage;

public enum PairGenerationStatus { Queued, Running, Completed, Failed, Cancelled }

/// <summary>Where the styled texts come from: a corpus, or the outputs of a dataset's current version.</summary>
public enum PairSourceKind { Corpus, Dataset }

/// <summary>The model that writes the plain side: a model this studio serves (<paramref name="Model"/> is its id), or an
/// OpenAI-compatible endpoint at <paramref name="Endpoint"/> (its API key is never stored).</summary>
public sealed record PairRewriter(string Model, string? Endpoint = null)
{
    public bool IsEndpoint => Endpoint is not null;
}

/// <summary>How a generation runs: which styled texts (the first <paramref name="Texts"/> of the source), the rewriter and
/// its prompt and sampling, the filters, and where the kept pairs go (a new version of <paramref name="TargetDataset"/>,
/// rows labelled <paramref name="Style"/> with <paramref name="Instruction"/>).</summary>
public sealed record PairGenerationSettings(PairSourceKind SourceKind, string Source, PairRewriter Rewriter, string Prompt,
    double Temperature, int MaxTokens, int Texts, PairFilterSettings Filters, string TargetDataset, string Style, string Instruction);

/// <summary>A generation: settings, where it stands (texts done of total, pairs kept and rejected, items that failed), and
/// when done the dataset version it wrote.</summary>
public sealed record PairGenerationRecord(int Id, PairGenerationSettings Settings, PairGenerationStatus Status, int Done, int Total,
    int Kept, int Rejected, int Failed, string? Message, int? DatasetVersion, bool CancelRequested, DateTime CreatedUtc, DateTime? FinishedUtc);

/// <summary>One styled text's outcome: its rewrite and whether the pair was kept, why it was turned away, or the error
/// that stopped the rewrite (<paramref name="Error"/>; then <paramref name="Plain"/> is null).</summary>
public sealed record PairItem(int Number, string Styled, string? Plain, PairRejection? Rejection, string? Error, double? Similarity)
{
    public bool Kept => Plain is not null && Rejection is null && Error is null;
}

/// <summary>Pair generations in the studio's database (settings as JSON, as evaluations keep theirs), and each item's
/// outcome in a collection of its own so a page can list them while the job adds more.</summary>
public sealed class PairGenerationStore
{
    readonly IDocumentCollection generations, items;

    internal PairGenerationStore(IDocumentDatabase database)
    {
        generations = database.Collection("pair_generations", DocumentIds.Int32);
        items = database.Collection("pair_generation_items");
        items.EnsureIndex("generation");
    }

    public PairGenerationRecord Create(PairGenerationSettings settings)
    {
        int id = generations.Insert(new BsonDocument
        {
            ["settings"] = JsonSerializer.Serialize(settings), ["status"] = nameof(PairGenerationStatus.Queued), ["done"] = 0,
            ["total"] = settings.Texts, ["kept"] = 0, ["rejected"] = 0, ["failed"] = 0, ["cancelRequested"] = false, ["createdUtc"] = DateTime.UtcNow,
        }).AsInt32;
        return Get(id);
    }

    public PairGenerationRecord Get(int id) =>
        generations.FindById(id) is { } document ? Record(document) : throw new ArgumentException($"no pair generation with id {id}");

    /// <summary>Newest first.</summary>
    public IReadOnlyList<PairGenerationRecord> All() => generations.FindAll().Select(Record).OrderByDescending(r => r.Id).ToList();

    /// <summary>Running from the start: counts back to zero and earlier items gone (a restarted job does the texts again).</summary>
    public void Start(int id, int total)
    {
        items.DeleteMany(DocumentQuery.Eq("generation", id));
        Change(id, d =>
        {
            d["status"] = nameof(PairGenerationStatus.Running);
            d["done"] = 0; d["total"] = total; d["kept"] = 0; d["rejected"] = 0; d["failed"] = 0;
            d["message"] = BsonValue.Null;
        });
    }

    /// <summary>Stores an item's outcome and counts it.</summary>
    public PairGenerationRecord Add(int id, PairItem item)
    {
        items.Insert(new BsonDocument
        {
            ["_id"] = $"{id}:{item.Number:D9}", ["generation"] = id, ["number"] = item.Number, ["styled"] = item.Styled,
            ["plain"] = item.Plain is null ? BsonValue.Null : item.Plain,
            ["filter"] = item.Rejection is { } r ? r.Filter.ToString() : BsonValue.Null,
            ["value"] = item.Rejection?.Value is { } value ? value : BsonValue.Null,
            ["error"] = item.Error is null ? BsonValue.Null : item.Error,
            ["similarity"] = item.Similarity is { } s ? s : BsonValue.Null,
        });
        Change(id, d =>
        {
            d["done"] = d["done"].AsInt32 + 1;
            string counter = item.Error is not null ? "failed" : item.Kept ? "kept" : "rejected";
            d[counter] = d[counter].AsInt32 + 1;
        });
        return Get(id);
    }

    /// <summary>The items so far, in the source's order.</summary>
    public IReadOnlyList<PairItem> Items(int id) => items.Find(DocumentQuery.Eq("generation", id)).Select(d => new PairItem(
        d["number"].AsInt32, d["styled"].AsString, d["plain"].IsNull ? null : d["plain"].AsString,
        d["filter"].IsNull ? null : new PairRejection(Enum.Parse<PairFilter>(d["filter"].AsString), d["value"].IsNull ? null : d["value"].AsDouble),
        d["error"].IsNull ? null : d["error"].AsString, d["similarity"].IsNull ? null : d["similarity"].AsDouble)).OrderBy(i => i.Number).ToList();

    public void Finish(int id, PairGenerationStatus status, string? message, int? datasetVersion = null) => Change(id, d =>
    {
        d["status"] = status.ToString();
        d["message"] = message;
        d["datasetVersion"] = datasetVersion is { } v ? v : BsonValue.Null;
        d["finishedUtc"] = DateTime.UtcNow;
    });

    /// <summary>Back to the queue: the studio stopped mid-generation, which starts over when it restarts.</summary>
    public void Requeue(int id, string message) => Change(id, d => { d["status"] = nameof(PairGenerationStatus.Queued); d["message"] = message; });

    public void SetJob(int id, string jobId) => Change(id, d => d["jobId"] = jobId);

    /// <summary>The Hangfire job that runs it, if any was queued.</summary>
    public string? JobOf(int id) => generations.FindById(id)?["jobId"] is { IsString: true } job ? job.AsString : null;

    public void RequestCancel(int id) => Change(id, d => d["cancelRequested"] = true);

    public void Delete(int id)
    {
        items.DeleteMany(DocumentQuery.Eq("generation", id));
        generations.Delete(id);
    }

    /// <summary>One atomic read-modify-write: the job's progress and a cancel request from the page never overwrite each other.</summary>
    void Change(int id, Action<BsonDocument> change)
    {
        bool found = generations.Change(id, d =>
        {
            change(d);
            return true;
        });
        if (!found) throw new ArgumentException($"no pair generation with id {id}");
    }

    static PairGenerationRecord Record(BsonDocument d) => new(d["_id"].AsInt32,
        JsonSerializer.Deserialize<PairGenerationSettings>(d["settings"].AsString)!, Enum.Parse<PairGenerationStatus>(d["status"].AsString),
        d["done"].AsInt32, d["total"].AsInt32, d["kept"].AsInt32, d["rejected"].AsInt32, d["failed"].AsInt32,
        d["message"].IsNull ? null : d["message"].AsString, d["datasetVersion"].IsNull ? null : d["datasetVersion"].AsInt32,
        d["cancelRequested"].AsBoolean, d["createdUtc"].AsDateTime.ToUniversalTime(), d["finishedUtc"].IsNull ? null : d["finishedUtc"].AsDateTime.ToUniversalTime());
}
