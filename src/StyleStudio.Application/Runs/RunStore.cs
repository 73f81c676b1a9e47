using LiteDB;
using StyleStudio.Data.Storage;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

public enum RunStatus { Queued, Running, Completed, Failed, Cancelled }

/// <summary>A training run: what it trains (dataset version, model, settings), where it stands, and where it writes.</summary>
/// <param name="Attempts">Job attempts that started and did not end in a clean stop (a failure, or the process dying);
/// 0 in records written before attempts were counted.</param>
/// <param name="Estimate">What was estimated when the run was started; null in records written before estimates.</param>
/// <param name="Worker">The Hangfire server whose job holds the run (set as an attempt starts, cleared when the run goes
/// back to the queue); null in records written before workers were recorded.</param>
public sealed record RunRecord(int Id, string Name, string DatasetName, int DatasetId, int DatasetVersion, string Model,
    RunRequest Settings, RunStatus Status, string? Message, string OutputDir, string? JobId, bool CancelRequested,
    DateTime CreatedUtc, DateTime? StartedUtc, DateTime? FinishedUtc, int Attempts = 0, RunEstimate? Estimate = null, string? Style = null,
    string? Worker = null);

/// <summary>
/// The memory and time estimated for a run as it was started (see <see cref="MemoryEstimate"/>), kept to compare with
/// what it measured: the peak is the largest <see cref="TrainingEvent.MemoryBytes"/>, the same quantity as
/// <paramref name="Measure"/> names (GPU memory in use, or the process's resident memory on CPU).
/// </summary>
/// <param name="Seconds">Estimated training time; null when the dataset's tokens could not be counted.</param>
/// <param name="TokensPerSecond">The throughput the time was estimated from.</param>
/// <param name="ThroughputMeasured">True when that throughput was measured by an earlier run of the model; false when
/// it is a rough per-device figure.</param>
public sealed record RunEstimate(long MemoryBytes, long WeightBytes, long TrainableBytes, long ActivationBytes, long LogitBytes,
    long OverheadBytes, MemoryMeasure Measure, double? Seconds, double TokensPerSecond, bool ThroughputMeasured)
{
    public static RunEstimate From(MemoryEstimate memory, double? seconds, double tokensPerSecond, bool measured) =>
        new(memory.TotalBytes, memory.WeightBytes, memory.TrainableBytes, memory.ActivationBytes, memory.LogitBytes,
            memory.OverheadBytes, memory.Measure, seconds, tokensPerSecond, measured);
}

/// <summary>A step recorded for a run already: each step of a run is recorded once (a resumed run trims the steps after its
/// checkpoint first, see <see cref="RunStore.TrimMetrics"/>).</summary>
public sealed class DuplicateStepException(int run, int step, Exception inner)
    : InvalidOperationException($"run {run} has step {step} recorded already", inner)
{
    public int Run { get; } = run;

    public int Step { get; } = step;
}

/// <summary>
/// Runs and their metrics in the studio's database: a run document each, a metric document per step (indexed by run;
/// a step takes far longer than an insert, so per-step documents cost nothing and keep the chart's reads simple).
/// Each run writes checkpoints and its result under runs/ID/ in the data folder. A studio and a worker change the same run
/// document (the studio asks to cancel while the worker writes the status), so every change of a run is one atomic
/// <see cref="IDocumentCollection.Change"/>: none overwrites another.
/// </summary>
public sealed class RunStore
{
    readonly IDocumentCollection runs, metrics;
    readonly string folder;

    /// <summary>Opened once per data store (<see cref="DataStoreRuns"/>): it makes its indexes as it opens.</summary>
    internal RunStore(IDocumentDatabase database, string folder)
    {
        this.folder = folder;
        runs = database.Collection("runs", DocumentIds.Int32);
        runs.EnsureIndex("status");
        metrics = database.Collection("run_metrics");
        metrics.EnsureIndex("run");
        try
        {
            metrics.EnsureUniqueIndex("run_step", "run", "Step");
        }
        catch (DuplicateKeyException)
        {
            // Recorded before steps were unique (an attempt that died could leave a step its successor recorded again):
            // the later record is the one the run continues from.
            RemoveRepeatedSteps();
            metrics.EnsureUniqueIndex("run_step", "run", "Step");
        }
    }

    void RemoveRepeatedSteps()
    {
        var repeated = metrics.FindAll().Select(d => (Id: d["_id"], Run: d["run"].AsInt32, Step: d["Step"].AsInt32)).ToList()
            .GroupBy(m => (m.Run, m.Step)).SelectMany(g => g.SkipLast(1)).ToList();
        foreach (var metric in repeated) metrics.Delete(metric.Id);
    }

    /// <param name="estimate">The memory and time estimated as it starts, to compare with what it measures.</param>
    /// <param name="style">Train on the rows of this style label only (one adapter per style), or null for every row.</param>
    public RunRecord Create(string name, DatasetSummary dataset, string model, RunRequest settings, RunEstimate? estimate = null, string? style = null)
    {
        var created = new BsonDocument
        {
            ["name"] = name, ["dataset"] = dataset.Name, ["datasetId"] = dataset.Id, ["datasetVersion"] = dataset.Version,
            ["model"] = model, ["settings"] = RunSettingsDocument.Write(settings), ["status"] = nameof(RunStatus.Queued),
            ["createdUtc"] = DateTime.UtcNow, ["cancelRequested"] = false, ["style"] = style,
        };
        if (estimate is not null) created["estimate"] = BsonMapper.Global.ToDocument(estimate);
        int id = runs.Insert(created).AsInt32;
        Change(id, d => d["outputDir"] = Path.Combine(folder, id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return Get(id);
    }

    public RunRecord Get(int id) => runs.FindById(id) is { } document ? Record(document) : throw new ArgumentException($"no run with id {id}");

    /// <summary>Newest first.</summary>
    public IReadOnlyList<RunRecord> All() => runs.FindAll().Select(Record).OrderByDescending(r => r.Id).ToList();

    /// <summary>
    /// The runs in <paramref name="status"/>, newest first, read through the status index: for what asks every few
    /// seconds (the cluster's watchdog, the workers list), which need not read every run there is.
    /// </summary>
    public IReadOnlyList<RunRecord> WithStatus(RunStatus status) =>
        runs.Find(DocumentQuery.Eq("status", status.ToString())).Select(Record).OrderByDescending(r => r.Id).ToList();

    /// <summary>Queued and running runs that train on <paramref name="model"/>: they need its folder to stay.</summary>
    public IReadOnlyList<RunRecord> ActiveOn(string model) =>
        All().Where(r => r.Model == model && r.Status is RunStatus.Queued or RunStatus.Running).ToList();

    public void SetJob(int id, string jobId) => Change(id, d => d["jobId"] = jobId);

    public void RequestCancel(int id) => Change(id, d => d["cancelRequested"] = true);

    /// <summary>
    /// Counts a job attempt as it starts, before anything can crash the process, and returns the count: an attempt the
    /// process dies in stays counted, so startup recovery can stop re-queueing a run that kills the studio.
    /// </summary>
    public int BeginAttempt(int id)
    {
        int attempts = 0;
        Change(id, d => attempts = CountAttempt(d));
        return attempts;
    }

    /// <summary>Adds an attempt to the run's document and returns the new count.</summary>
    static int CountAttempt(BsonDocument d)
    {
        int attempts = Attempts(d) + 1;
        d["attempts"] = attempts;
        return attempts;
    }

    /// <summary>
    /// Starts an attempt on <paramref name="worker"/>: counts it (before anything can crash the process, as
    /// <see cref="BeginAttempt"/>), marks the run running and records who holds it, in one change. Returns the count.
    /// </summary>
    public int Claim(int id, string worker, string message)
    {
        int attempts = 0;
        Change(id, d =>
        {
            attempts = CountAttempt(d);
            d["worker"] = worker;
            d["status"] = nameof(RunStatus.Running);
            d["message"] = message;
            if (!d.ContainsKey("startedUtc")) d["startedUtc"] = DateTime.UtcNow;
        });
        return attempts;
    }

    /// <summary>
    /// Takes a running run from <paramref name="worker"/> (taken for dead) and puts it back in the queue, unless it has
    /// moved on meanwhile (finished, or already handed over): true when this call handed it over.
    /// </summary>
    public bool Reassign(int id, string worker, string message)
    {
        bool handed = false;
        Change(id, d =>
        {
            if (d["status"].AsString != nameof(RunStatus.Running) || !d.TryGetValue("worker", out var holder) || holder.IsNull || holder.AsString != worker) return;
            d["status"] = nameof(RunStatus.Queued);
            d["worker"] = BsonValue.Null;
            d["message"] = message;
            handed = true;
        });
        return handed;
    }

    /// <summary>Uncounts the attempt in progress: it ended in a clean stop (the studio shutting down), not a failure.</summary>
    public void WithdrawAttempt(int id) => Change(id, d => d["attempts"] = Math.Max(0, Attempts(d) - 1));

    public void MarkRunning(int id, string message) => Change(id, d =>
    {
        d["status"] = nameof(RunStatus.Running);
        d["message"] = message;
        if (!d.ContainsKey("startedUtc")) d["startedUtc"] = DateTime.UtcNow;
    });

    /// <summary>Back in the queue: the process stopped while the run was training; it continues from its last checkpoint.</summary>
    public void MarkQueued(int id, string message) => Change(id, d =>
    {
        d["status"] = nameof(RunStatus.Queued);
        d["worker"] = BsonValue.Null;
        d["message"] = message;
    });

    public void MarkFinished(int id, RunStatus status, string message) => Change(id, d =>
    {
        d["status"] = status.ToString();
        d["message"] = message;
        d["finishedUtc"] = DateTime.UtcNow;
    });

    /// <summary>Records a step: the trainer's event as it is, one document per step (its fields under their own names,
    /// so a new metric is stored without a change here; steps recorded before a field existed read it as its default).</summary>
    /// <exception cref="DuplicateStepException">The run has this step recorded already.</exception>
    public void AddMetric(int runId, TrainingEvent metric)
    {
        var document = BsonMapper.Global.ToDocument(metric);
        document["run"] = runId;
        try
        {
            metrics.Insert(document);
        }
        catch (DuplicateKeyException e)
        {
            throw new DuplicateStepException(runId, metric.Step, e);
        }
    }

    /// <summary>Steps in order.</summary>
    public IReadOnlyList<TrainingEvent> Metrics(int runId) => metrics.Find(DocumentQuery.Eq("run", runId))
        .Select(BsonMapper.Global.ToObject<TrainingEvent>).OrderBy(m => m.Step).ToList();

    /// <summary>Drops steps after <paramref name="step"/>: a run resumed from that checkpoint records them again.</summary>
    public void TrimMetrics(int runId, int step) => metrics.DeleteMany(DocumentQuery.And(DocumentQuery.Eq("run", runId), DocumentQuery.Gt("Step", step)));

    /// <summary>
    /// Deletes a finished run: its record, its metrics and its folder (checkpoints, adapter). A queued or running run is
    /// refused — its job would go on writing into the folder; cancel it first.
    /// </summary>
    public void Delete(int id)
    {
        var run = Get(id);
        if (run.Status is RunStatus.Queued or RunStatus.Running)
            throw new InvalidOperationException($"run {id} ({run.Name}) is {run.Status.ToString().ToLowerInvariant()}; cancel it first, then delete it");
        metrics.DeleteMany(DocumentQuery.Eq("run", id));
        runs.Delete(id);
        // Only ever the run's own folder under runs/: a record pointing elsewhere must not make us delete that.
        string output = Path.GetFullPath(run.OutputDir);
        if (Path.GetDirectoryName(output) == Path.GetFullPath(folder) && Directory.Exists(output))
            Directory.Delete(output, recursive: true);
    }

    /// <summary>Reads, changes and writes the run as one atomic step (see the class remarks).</summary>
    void Change(int id, Action<BsonDocument> change)
    {
        bool found = runs.Change(id, d =>
        {
            change(d);
            return true;
        });
        if (!found) throw new ArgumentException($"no run with id {id}");
    }

    static RunRecord Record(BsonDocument d) => new(d["_id"].AsInt32, d["name"].AsString, d["dataset"].AsString,
        d["datasetId"].AsInt32, d["datasetVersion"].AsInt32, d["model"].AsString,
        RunSettingsDocument.Read(d["settings"].AsDocument), Enum.Parse<RunStatus>(d["status"].AsString),
        d.TryGetValue("message", out var message) && !message.IsNull ? message.AsString : null, d["outputDir"].AsString,
        d.TryGetValue("jobId", out var job) && !job.IsNull ? job.AsString : null, d["cancelRequested"].AsBoolean,
        d["createdUtc"].AsDateTime.ToUniversalTime(),
        d.TryGetValue("startedUtc", out var started) ? started.AsDateTime.ToUniversalTime() : null,
        d.TryGetValue("finishedUtc", out var finished) ? finished.AsDateTime.ToUniversalTime() : null, Attempts(d),
        d.TryGetValue("estimate", out var estimate) && estimate.IsDocument ? Estimate(estimate.AsDocument) : null,
        d.TryGetValue("style", out var style) && !style.IsNull ? style.AsString : null,
        d.TryGetValue("worker", out var worker) && !worker.IsNull ? worker.AsString : null);

    static RunEstimate Estimate(BsonDocument e) => new(e["MemoryBytes"].AsInt64, e["WeightBytes"].AsInt64,
        e["TrainableBytes"].AsInt64, e["ActivationBytes"].AsInt64, e["LogitBytes"].AsInt64, e["OverheadBytes"].AsInt64,
        Enum.Parse<MemoryMeasure>(e["Measure"].AsString), e["Seconds"].IsNull ? null : e["Seconds"].AsDouble,
        e["TokensPerSecond"].AsDouble, e["ThroughputMeasured"].AsBoolean);

    static int Attempts(BsonDocument d) => d.TryGetValue("attempts", out var attempts) && attempts.IsInt32 ? attempts.AsInt32 : 0;
}
