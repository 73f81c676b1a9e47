using System.Collections.Concurrent;
using Hangfire;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Reports;
using StyleStudio.Serving;

namespace StyleStudio.Web.Evaluations;

/// <summary>
/// Starting, cancelling and reading evaluations: the one place pages and endpoints go through. Settings are checked
/// here, before anything is queued, so a bad request gets its reason at once.
/// </summary>
public sealed class EvaluationRuns(DataStore store, IBackgroundJobClient jobs, GenerationService generation, EvaluationEvents events)
{
    readonly ConcurrentDictionary<int, CancellationTokenSource> running = new();
    // Judges' API keys, in memory only (as hub tokens are): never written to the data folder.
    readonly ConcurrentDictionary<int, string> judgeKeys = new();

    /// <exception cref="ArgumentException">The dataset, model or predictions do not fit together; the message says how.</exception>
    /// <param name="judgeKey">The judge endpoint's API key, if it needs one; kept in memory for the job only.</param>
    public EvaluationRecord Start(EvaluationSettings settings, string? judgeKey = null)
    {
        if (settings.Judge is { } judge)
        {
            if (!Uri.TryCreate(judge.Endpoint, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new ArgumentException($"judge endpoint '{judge.Endpoint}' is not an http(s) address (e.g. https://api.openai.com/v1 or http://localhost:5000/v1)");
            if (string.IsNullOrWhiteSpace(judge.Model)) throw new ArgumentException("name the judge's model");
            if (string.IsNullOrWhiteSpace(judge.Style)) throw new ArgumentException("describe the target style for the judge (e.g. 古风 classical Chinese)");
        }
        if (settings.Rows < 1) throw new ArgumentException("evaluate at least one row");
        var dataset = store.Datasets().FirstOrDefault(d => d.Name == settings.Dataset)
            ?? throw new ArgumentException($"no dataset named '{settings.Dataset}'");
        long available = settings.Style is { } style ? store.Rows(dataset.Id, dataset.Version).LongCount(r => r.Style == style) : dataset.Rows;
        if (available == 0) throw new ArgumentException($"'{dataset.Name}' has no rows of style '{settings.Style}'");
        int rows = (int)Math.Min(settings.Rows, available);
        if (settings.Predictions is { } predictions)
        {
            if (predictions.Count != rows)
                throw new ArgumentException($"{settings.PredictionsFile ?? "the predictions"} has {predictions.Count} lines but the evaluation takes {rows} rows of '{dataset.Name}': one line per row, in the dataset's order");
        }
        else if (settings.Model is null) throw new ArgumentException("choose a model to rewrite the rows, or upload its predictions");
        if (settings.Model is not null && !generation.Models().Any(m => m.Id == settings.Model && m.Problem is null))
            throw new ArgumentException($"no servable model '{settings.Model}'");
        string name = (settings.Predictions is null ? $"{settings.Model} on {dataset.Name}" : $"{settings.PredictionsFile ?? "predictions"} on {dataset.Name}")
            + (settings.Style is { } only ? $" · {only}" : "");
        var record = store.Evaluations.Create(name, settings with { Rows = rows }, dataset.Version);
        if (!string.IsNullOrEmpty(judgeKey)) judgeKeys[record.Id] = judgeKey;
        Enqueue(record.Id);
        return record;
    }

    /// <summary>
    /// Requeues evaluations a previous process left running (killed rather than stopped: Hangfire's SQLite storage would
    /// hand the job out again only after its 30-minute invisibility timeout); the old job is deleted so it cannot run twice.
    /// </summary>
    public void RecoverInterrupted()
    {
        foreach (var evaluation in store.Evaluations.All().Where(e => e.Status == EvaluationStatus.Running))
        {
            if (store.Evaluations.JobOf(evaluation.Id) is { } job) jobs.ChangeState(job, new Hangfire.States.DeletedState(), null);
            store.Evaluations.Requeue(evaluation.Id, EvaluationMessages.InterruptedAtStartup);
            Enqueue(evaluation.Id);
        }
    }

    void Enqueue(int id) => store.Evaluations.SetJob(id, jobs.Enqueue<EvaluationJob>(job => job.Execute(id, CancellationToken.None)));

    public IReadOnlyList<EvaluationRecord> All() => store.Evaluations.All();

    internal string? JudgeKey(int id) => judgeKeys.GetValueOrDefault(id);

    public EvaluationRecord Get(int id) => store.Evaluations.Get(id);

    /// <summary>The finished report; null while it runs or when it failed.</summary>
    public EvaluationReport? Report(int id) => store.Evaluations.Get(id).ReportJson is { } json ? ReportJson.Read(json) : null;

    /// <summary>The finished reports among a comma-separated id list ("1,2"); unknown or unfinished ids are skipped.</summary>
    public IReadOnlyList<NamedReport> Reports(string? idList)
    {
        var known = All().Select(r => r.Id).ToHashSet();
        return Reports((idList ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, out var id) ? id : -1).Where(known.Contains));
    }

    public IReadOnlyList<NamedReport> Reports(IEnumerable<int> ids) =>
        ids.Select(id => (Record: store.Evaluations.Get(id), Report: Report(id)))
            .Where(p => p.Report is not null).Select(p => new NamedReport($"#{p.Record.Id} {p.Record.Name}", p.Report!)).ToList();

    public void Cancel(int id)
    {
        var record = store.Evaluations.Get(id);
        if (record.Status is not (EvaluationStatus.Queued or EvaluationStatus.Running)) return;
        store.Evaluations.RequestCancel(id);
        if (running.TryGetValue(id, out var source)) source.Cancel();
        else
        {
            // Not started yet: its job goes, and it says so now.
            if (store.Evaluations.JobOf(id) is { } job) jobs.Delete(job);
            store.Evaluations.Finish(id, EvaluationStatus.Cancelled, EvaluationMessages.CancelledBeforeStart);
            events.Publish(new EvaluationUpdate(id, EvaluationStatus.Cancelled, 0, record.Total, EvaluationMessages.CancelledBeforeStart));
        }
    }

    public void Delete(int id)
    {
        Cancel(id);
        store.Evaluations.Delete(id);
    }

    /// <summary>The job's cancellation: the user's Cancel or the studio stopping; disposing it unregisters.</summary>
    internal CancelHandle Register(int id, CancellationToken shutdown)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        running[id] = source;
        return new CancelHandle(source, () => running.TryRemove(id, out _));
    }

    internal sealed class CancelHandle(CancellationTokenSource source, Action unregister) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            unregister();
            source.Dispose();
        }
    }
}
