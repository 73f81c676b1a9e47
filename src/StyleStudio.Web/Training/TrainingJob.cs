using Hangfire;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Training;

/// <summary>
/// A training run as a Hangfire job: reads the dataset version the run was started on, trains through the same
/// <see cref="FineTuneRun"/> as the CLI, records every step and publishes it to open pages. If the process stops mid-run,
/// Hangfire runs the job again and it continues from the run's latest checkpoint.
/// </summary>
public sealed class TrainingJob(DataStore store, ModelCatalog models, RunEvents events, ILogger<TrainingJob> log)
{
    /// <summary>One worker serves this queue: one GPU trains one run at a time.</summary>
    public const string Queue = "training";

    [Queue(Queue), AutomaticRetry(Attempts = 0)]
    public void Execute(int runId, CancellationToken cancellation)
    {
        var run = store.Runs.Get(runId);
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) return;
        try
        {
            Train(run, cancellation);
        }
        catch (OperationCanceledException)
        {
            if (store.Runs.Get(runId).CancelRequested)
            {
                Finish(runId, RunStatus.Cancelled, "cancelled; checkpoints so far are kept in " + run.OutputDir);
                return;
            }
            Finish(runId, RunStatus.Queued, "interrupted: the studio stopped; the run continues from its last checkpoint when it restarts");
            throw;   // Hangfire requeues the job
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "run {Run} failed", runId);
            Finish(runId, RunStatus.Failed, e.Message);
        }
    }

    void Train(RunRecord run, CancellationToken cancellation)
    {
        var settings = run.Settings;
        settings.ModelNameOrPath = models.Path(run.Model);
        settings.OutputDir = run.OutputDir;
        var conversations = store.Rows(run.DatasetId, run.DatasetVersion).Select(r => r.ToConversation()).ToList();
        Publish(run.Id, RunStatus.Running, "loading the model");
        store.Runs.MarkRunning(run.Id, "loading the model");

        using var fineTune = FineTuneRun.Prepare(settings, conversations);
        string? resumeFrom = fineTune.LatestCheckpoint;
        if (resumeFrom is not null) store.Runs.TrimMetrics(run.Id, TrainingCheckpoint.StepOf(resumeFrom));
        string summary = fineTune.Summary + (resumeFrom is null ? "" : $" · resumed from {Path.GetFileName(resumeFrom)}");
        store.Runs.MarkRunning(run.Id, summary);
        Publish(run.Id, RunStatus.Running, summary);

        var progress = new StepRecorder(run.Id, store.Runs, events);
        var result = fineTune.Run(progress, cancellation, resume: resumeFrom is not null);
        if (result.Cancelled)
        {
            throw new OperationCanceledException(cancellation);   // shutdown or cancel: Execute tells which
        }
        Finish(run.Id, RunStatus.Completed, fineTune.ResultDescription +
            (result.BestEvalLoss is { } best ? $"; best validation loss {best:F4} at step {result.BestStep}" : "") +
            (resumeFrom is null ? "" : $" (resumed from {Path.GetFileName(resumeFrom)})"));
    }

    void Finish(int runId, RunStatus status, string message)
    {
        if (status == RunStatus.Queued) store.Runs.MarkQueued(runId, message);
        else store.Runs.MarkFinished(runId, status, message);
        events.Publish(new RunUpdate(runId, Status: status, Message: message));
    }

    void Publish(int runId, RunStatus status, string message) => events.Publish(new RunUpdate(runId, Status: status, Message: message));

    sealed class StepRecorder(int runId, RunStore runs, RunEvents events) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent e)
        {
            var metric = RunMetric.From(e);
            runs.AddMetric(runId, metric);
            events.Publish(new RunUpdate(runId, metric));
        }
    }
}
