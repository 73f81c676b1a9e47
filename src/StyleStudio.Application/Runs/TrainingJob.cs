using Microsoft.Extensions.Logging;
using Hangfire;
using Microsoft.Extensions.Options;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

/// <summary>
/// A training run as a Hangfire job: reads the dataset version the run was started on, trains through the same
/// <see cref="FineTuneRun"/> as the CLI, records every step and publishes it to open pages. If the studio stops mid-run
/// (SIGTERM, Ctrl+C), the trainer finishes its step and saves a checkpoint, and Hangfire runs the job again after the
/// restart, continuing from it. A failed attempt is retried until the run has had <see cref="StudioOptions.MaxRunAttempts"/>.
/// </summary>
public sealed class TrainingJob(DataStore store, ModelCatalog models, RunEvents events, TrainingRuns runs,
    IOptions<StudioOptions> options, ILogger<TrainingJob> log)
{
    /// <summary>One worker serves this queue: one GPU trains one run at a time.</summary>
    public const string Queue = "training";

    int MaxAttempts => Math.Max(1, options.Value.MaxRunAttempts);

    [Queue(Queue), AutomaticRetry(Attempts = 0)]
    public void Execute(int runId, CancellationToken cancellation)
    {
        var run = store.Runs.Get(runId);
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) return;
        if (run.Attempts >= MaxAttempts)
        {
            Finish(runId, RunStatus.Failed, TrainingRuns.GaveUp(run.Attempts, run.Message));
            return;
        }
        int attempt = store.Runs.BeginAttempt(runId);
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
            // The studio is shutting down: a clean stop at a checkpoint, not a failed attempt.
            store.Runs.WithdrawAttempt(runId);
            Finish(runId, RunStatus.Queued, "interrupted: the studio stopped; the run continues from its last checkpoint when it restarts");
            throw;   // Hangfire requeues the job
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "run {Run} failed (attempt {Attempt} of {Max})", runId, attempt, MaxAttempts);
            // Divergence repeats exactly from the same checkpoint and seed: another attempt would only diverge again.
            if (attempt < MaxAttempts && e is not TrainingDivergedException)
            {
                string retry = $"attempt {attempt} of {MaxAttempts} failed: {e.Message}; trying again";
                runs.Retry(runId, retry);
                events.Publish(new RunUpdate(runId, Status: RunStatus.Queued, Message: retry));
            }
            else Finish(runId, RunStatus.Failed, attempt > 1 ? $"failed {attempt} times; last error: {e.Message}" : e.Message);
        }
    }

    void Train(RunRecord run, CancellationToken cancellation)
    {
        var settings = run.Settings;
        settings.ModelNameOrPath = models.Path(run.Model);
        settings.OutputDir = run.OutputDir;
        var conversations = StyleRows.ForTraining(store.Rows(run.DatasetId, run.DatasetVersion), run.Style, store.Styles.All())
            .Select(r => r.ToConversation()).ToList();
        if (conversations.Count == 0) throw new InvalidOperationException($"no rows of style '{run.Style}' in {run.DatasetName} v{run.DatasetVersion}");
        Publish(run.Id, RunStatus.Running, "loading the model");
        store.Runs.MarkRunning(run.Id, "loading the model");

        using var fineTune = FineTuneRun.Prepare(settings, conversations);
        string? resumeFrom = fineTune.LatestCheckpoint;
        // Steps after the checkpoint (all of them without one) were recorded by an attempt that died: they are trained again.
        store.Runs.TrimMetrics(run.Id, resumeFrom is null ? 0 : TrainingCheckpoint.StepOf(resumeFrom));
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
