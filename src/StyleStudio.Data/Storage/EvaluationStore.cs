using LiteDB;
using StyleStudio.Data.Storage.Documents;

namespace StyleStudio.Data.Storage;

public enum EvaluationStatus { Queued, Running, Completed, Failed, Cancelled }

/// <summary>What an evaluation scores: a dataset's first <paramref name="Rows"/> rows (current version when it was
/// started), rewritten by <paramref name="Model"/> — or given as <paramref name="Predictions"/> (an uploaded file, one
/// line per row; then <paramref name="Model"/>, if any, only judges fluency).</summary>
/// <param name="Style">Only the rows of this style label (to compare a per-style adapter with a multi-task one), or all rows.</param>
public sealed record EvaluationSettings(string Dataset, string? Model, string? Template, int Rows, int MaxNewTokens,
    string? PredictionsFile = null, IReadOnlyList<string>? Predictions = null, EvaluationJudge? Judge = null, string? Style = null);

/// <summary>An LLM judge for an evaluation: an OpenAI-compatible endpoint, its model, and the target style described for
/// it. Its API key is not stored (it stays in the studio's memory for the job).</summary>
public sealed record EvaluationJudge(string Endpoint, string Model, string Style);

/// <summary>An evaluation: its settings, where it stands (rows done of total), and when done its report (JSON written
/// by the evaluation job; the data layer does not read it).</summary>
public sealed record EvaluationRecord(int Id, string Name, EvaluationSettings Settings, int DatasetVersion, EvaluationStatus Status,
    int Done, int Total, string? Message, string? ReportJson, bool CancelRequested, DateTime CreatedUtc, DateTime? FinishedUtc);

/// <summary>Evaluations in the studio's database, one document each, so they outlive the page and the process
/// (settings as JSON: LiteDB's mapper does not build positional records).</summary>
public sealed class EvaluationStore
{
    readonly IDocumentCollection evaluations;

    internal EvaluationStore(IDocumentDatabase database) => evaluations = database.Collection("evaluations", DocumentIds.Int32);

    public EvaluationRecord Create(string name, EvaluationSettings settings, int datasetVersion)
    {
        int id = evaluations.Insert(new BsonDocument
        {
            ["name"] = name, ["settings"] = System.Text.Json.JsonSerializer.Serialize(settings), ["datasetVersion"] = datasetVersion,
            ["status"] = nameof(EvaluationStatus.Queued), ["done"] = 0, ["total"] = settings.Rows, ["cancelRequested"] = false,
            ["createdUtc"] = DateTime.UtcNow,
        }).AsInt32;
        return Get(id);
    }

    public EvaluationRecord Get(int id) =>
        evaluations.FindById(id) is { } document ? Record(document) : throw new ArgumentException($"no evaluation with id {id}");

    /// <summary>Newest first, without their reports (a list needs no row scores).</summary>
    public IReadOnlyList<EvaluationRecord> All() =>
        evaluations.FindAll().Select(Record).Select(r => r with { ReportJson = null }).OrderByDescending(r => r.Id).ToList();

    public void Start(int id, int total) => Change(id, d => { d["status"] = nameof(EvaluationStatus.Running); d["done"] = 0; d["total"] = total; d["message"] = BsonValue.Null; });

    public void Progress(int id, int done) => Change(id, d => d["done"] = done);

    public void Finish(int id, EvaluationStatus status, string? message, string? reportJson = null) => Change(id, d =>
    {
        d["status"] = status.ToString();
        d["message"] = message;
        if (reportJson is not null) d["report"] = reportJson;
        d["finishedUtc"] = DateTime.UtcNow;
    });

    /// <summary>Back to the queue: the studio stopped mid-evaluation, which starts over when it restarts.</summary>
    public void Requeue(int id, string message) => Change(id, d => { d["status"] = nameof(EvaluationStatus.Queued); d["message"] = message; });

    public void SetJob(int id, string jobId) => Change(id, d => d["jobId"] = jobId);

    /// <summary>The Hangfire job that runs it, if any was queued.</summary>
    public string? JobOf(int id) => evaluations.FindById(id)?["jobId"] is { IsString: true } job ? job.AsString : null;

    public void RequestCancel(int id) => Change(id, d => d["cancelRequested"] = true);

    public void Delete(int id) => evaluations.Delete(id);

    /// <summary>One atomic read-modify-write: the job's progress and a cancel request from the page never overwrite each other.</summary>
    void Change(int id, Action<BsonDocument> change)
    {
        bool found = evaluations.Change(id, d =>
        {
            change(d);
            return true;
        });
        if (!found) throw new ArgumentException($"no evaluation with id {id}");
    }

    static EvaluationRecord Record(BsonDocument d) => new(d["_id"].AsInt32, d["name"].AsString,
        System.Text.Json.JsonSerializer.Deserialize<EvaluationSettings>(d["settings"].AsString)!, d["datasetVersion"].AsInt32,
        Enum.Parse<EvaluationStatus>(d["status"].AsString), d["done"].AsInt32, d["total"].AsInt32,
        d["message"].IsNull ? null : d["message"].AsString, d["report"].IsNull ? null : d["report"].AsString,
        d["cancelRequested"].AsBoolean, d["createdUtc"].AsDateTime, d["finishedUtc"].IsNull ? null : d["finishedUtc"].AsDateTime);
}
