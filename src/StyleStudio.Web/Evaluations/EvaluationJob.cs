using Hangfire;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Judging;
using StyleStudio.Evaluation.Reports;
using StyleStudio.Evaluation.Style;
using StyleStudio.Serving;

namespace StyleStudio.Web.Evaluations;

/// <summary>
/// An evaluation as a Hangfire job: trains the dataset's style classifier, rewrites the rows through the serving engine
/// (or takes the uploaded predictions), judges fluency under the base model, scores everything and stores the report.
/// If the studio stops mid-evaluation, the job goes back to the queue and starts over after the restart.
/// </summary>
public sealed class EvaluationJob(DataStore store, GenerationService generation, EvaluationRuns runs, EvaluationEvents events,
    ILogger<EvaluationJob> log)
{
    /// <summary>One worker: evaluations share the serving engine with the playground and the API, one at a time.</summary>
    public const string Queue = "evaluation";

    [Queue(Queue), AutomaticRetry(Attempts = 0)]
    public async Task Execute(int id, CancellationToken shutdown)
    {
        var record = store.Evaluations.Get(id);
        if (record.Status is EvaluationStatus.Completed or EvaluationStatus.Failed or EvaluationStatus.Cancelled) return;
        using var cancel = runs.Register(id, shutdown);
        try
        {
            var report = await Evaluate(record, cancel.Token);
            store.Evaluations.Finish(id, EvaluationStatus.Completed, null, ReportJson.Write(report));
            Publish(id, EvaluationStatus.Completed);
        }
        catch (OperationCanceledException) when (store.Evaluations.Get(id).CancelRequested)
        {
            store.Evaluations.Finish(id, EvaluationStatus.Cancelled, EvaluationMessages.Cancelled);
            Publish(id, EvaluationStatus.Cancelled, EvaluationMessages.Cancelled);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("evaluation {Id} interrupted by shutdown; back in the queue", id);
            store.Evaluations.Requeue(id, EvaluationMessages.Interrupted);
            throw;   // Hangfire requeues the job
        }
        catch (Exception e)
        {
            log.LogError(e, "evaluation {Id} failed", id);
            store.Evaluations.Finish(id, EvaluationStatus.Failed, e.Message);
            Publish(id, EvaluationStatus.Failed, e.Message);
        }
    }

    async Task<EvaluationReport> Evaluate(EvaluationRecord record, CancellationToken cancellation)
    {
        var settings = record.Settings;
        var dataset = store.Find(settings.Dataset);
        var all = store.Rows(dataset.Id, record.DatasetVersion).ToList();
        var rows = all.Where(r => settings.Style is null || r.Style == settings.Style).Take(settings.Rows).ToList();
        store.Evaluations.Start(record.Id, rows.Count);
        Publish(record.Id, EvaluationStatus.Running, EvaluationMessages.TrainingClassifier);
        var classifier = TrainClassifier(all);
        // Recorded on the job's own flow (Progress<T> would post to the thread pool, where a late report could write
        // after the job ended, even after the store closed at shutdown).
        var progress = new SyncProgress<int>(done =>
        {
            store.Evaluations.Progress(record.Id, done);
            events.Publish(new EvaluationUpdate(record.Id, EvaluationStatus.Running, done, rows.Count));
        });
        var tokenization = StyleEvaluator.Detect(rows.Select(r => r.Output));
        var report = settings.Predictions is { } predictions
            ? StyleEvaluator.Score(await GivenPredictions(rows, predictions, settings.Model, progress, cancellation), tokenization, classifier)
            : await StyleEvaluator.RunAsync(new ServedStyleModel(generation, settings.Model!, settings.Template, settings.MaxNewTokens),
                rows, tokenization, progress, cancellation: cancellation, classifier: classifier);
        return settings.Judge is { } judge ? await JudgeAsync(record, report, judge, cancellation) : report;
    }

    /// <summary>The LLM judge's verdicts on every row, cached in the data folder's judgements.db (shared with the CLI).
    /// An endpoint that refuses the whole run (bad key, unknown model) is reported in the report, the metrics kept.</summary>
    async Task<EvaluationReport> JudgeAsync(EvaluationRecord record, EvaluationReport report, EvaluationJudge judge, CancellationToken cancellation)
    {
        var items = report.Rows.Select(r => new JudgeItem(r.Source.Length > 0 ? r.Source : r.Prompt, r.Prediction, r.Reference)).ToList();
        var progress = new SyncProgress<JudgeProgress>(p => events.Publish(new EvaluationUpdate(record.Id, EvaluationStatus.Running, p.Done, p.Total,
            EvaluationMessages.Judging)));
        var client = new OpenAiJudgeClient(new JudgeEndpointOptions { BaseUrl = new Uri(judge.Endpoint), Model = judge.Model, ApiKey = runs.JudgeKey(record.Id) });
        using var cache = JudgementCache.Open(Path.Combine(store.Folder, "judgements.db"));
        try
        {
            var verdicts = await new LlmJudge(client, cache).JudgeAsync(items,
                new JudgeSettings { Style = judge.Style, System = record.Settings.Model ?? record.Settings.PredictionsFile ?? "" }, progress, cancellation);
            return report with { Judge = verdicts };
        }
        catch (JudgeEndpointException e)
        {
            return report with { JudgeProblem = e.Message };
        }
    }



    /// <summary>Uploaded rewrites: scored as they are; fluency judged when a model was named for it.</summary>
    async Task<List<EvaluationItem>> GivenPredictions(IReadOnlyList<DatasetRow> rows, IReadOnlyList<string> predictions, string? model,
        IProgress<int> progress, CancellationToken cancellation)
    {
        var items = new List<EvaluationItem>();
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            AnswerLikelihood? predictionFluency = null, referenceFluency = null;
            if (model is not null)
            {
                predictionFluency = await generation.TextLikelihoodAsync(model, predictions[i], cancellation);
                referenceFluency = await generation.TextLikelihoodAsync(model, row.Output, cancellation);
            }
            items.Add(new EvaluationItem(row.Style ?? StyleEvaluator.NoStyle, row.Query, row.Output, predictions[i], null,
                StyleClassifier.SourceText(row), predictionFluency, referenceFluency));
            progress.Report(i + 1);
        }
        return items;
    }

    StyleClassifier? TrainClassifier(IReadOnlyList<DatasetRow> rows)
    {
        try
        {
            return StyleClassifier.Train(rows);
        }
        catch (ArgumentException e)
        {
            log.LogWarning("no style classifier: {Reason}", e.Message);   // the report then says style was not judged
            return null;
        }
    }

    /// <summary>Reports on the caller's flow, one at a time (rows finish on several threads).</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        readonly object gate = new();

        public void Report(T value)
        {
            lock (gate) report(value);
        }
    }

    void Publish(int id, EvaluationStatus status, string? message = null)
    {
        var record = store.Evaluations.Get(id);
        events.Publish(new EvaluationUpdate(id, status, record.Done, record.Total, message));
    }
}
