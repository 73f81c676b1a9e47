using Microsoft.Extensions.Logging;
using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Options;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

/// <summary>Starting and cancelling runs: a run record in the store plus a Hangfire job that trains it.</summary>
public sealed class TrainingRuns(DataStore store, ModelCatalog models, IBackgroundJobClient jobs, JobStorage storage, RunEvents events,
    IOptions<StudioOptions> options, TrainingEstimates estimates, ILogger<TrainingRuns> log)
{
    /// <summary>
    /// Records a run of <paramref name="request"/> on the current version of <paramref name="datasetName"/>, with its
    /// memory and time estimate (to compare with what it measures), and queues it.
    /// </summary>
    /// <param name="style">Train on the rows of this style label only (one adapter per style); null trains on every row.</param>
    /// <exception cref="RunSettingException">A setting fails its check (named by its LLaMA-Factory key).</exception>
    public RunRecord Start(string name, string datasetName, string model, RunRequest request, string? style = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("give the run a name");
        request.Validate();   // a bad setting is refused now, by name, rather than failing the job later
        var dataset = store.Find(datasetName);
        if (dataset.Rows == 0) throw new ArgumentException($"{datasetName} has no rows");
        if (style is not null && !store.Rows(dataset.Id, dataset.Version).Any(row => row.Style == style))
            throw new ArgumentException($"{datasetName} has no rows of style '{style}'");
        models.Path(model);   // fails now, with the folder named, rather than in the job
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var estimate = Estimate(datasetName, model, request);
        var estimated = clock.Elapsed;
        var run = store.Runs.Create(name.Trim(), dataset, model, request, estimate, style);
        string job = Enqueue(run.Id);
        store.Runs.SetJob(run.Id, job);
        log.LogInformation("Run {Run} ({Name}) queued as job {Job} in {Milliseconds:0} ms, {EstimateMilliseconds:0} ms of it the estimate",
            run.Id, run.Name, job, clock.Elapsed.TotalMilliseconds, estimated.TotalMilliseconds);
        return store.Runs.Get(run.Id);
    }

    /// <summary>A queued run is dropped at once; a running one stops after its current step (its checkpoints stay).</summary>
    public void Cancel(int runId)
    {
        var run = store.Runs.Get(runId);
        if (run.Status is not (RunStatus.Queued or RunStatus.Running)) return;
        store.Runs.RequestCancel(runId);
        if (run.JobId is not null) jobs.Delete(run.JobId);   // fires the job's cancellation token within a second
        if (run.Status == RunStatus.Queued)
        {
            store.Runs.MarkFinished(runId, RunStatus.Cancelled, "cancelled before it started");
            events.Publish(new RunUpdate(runId, Status: RunStatus.Cancelled, Message: "cancelled before it started"));
        }
    }

    /// <summary>
    /// Deletes a finished run with its metrics and its folder (checkpoints, adapter); a queued or running one is refused
    /// with the reason (<see cref="InvalidOperationException"/>): its job would go on writing into the folder.
    /// </summary>
    public void Delete(int runId)
    {
        var run = store.Runs.Get(runId);
        store.Runs.Delete(runId);
        if (run.JobId is not null) jobs.Delete(run.JobId);   // a finished job's history entry; nothing runs any more
    }

    /// <summary>
    /// Requeues runs a previous process left marked running (killed rather than stopped: Hangfire's SQLite storage would
    /// only hand such a job out again after its 30-minute invisibility timeout). The old job is deleted so it cannot run
    /// twice; the new one continues from the run's latest checkpoint. A run that has used up its attempts (the studio
    /// died during each, e.g. a model that exhausts memory) is marked Failed instead, ending the crash loop.
    /// </summary>
    public void RecoverInterrupted()
    {
        int maxAttempts = Math.Max(1, options.Value.MaxRunAttempts);
        foreach (var run in store.Runs.WithStatus(RunStatus.Running))
        {
            if (run.JobId is not null) jobs.ChangeState(run.JobId, new DeletedState(), null);
            if (run.Attempts >= maxAttempts)
            {
                string failed = $"interrupted {run.Attempts} times: the studio stopped during each attempt, so the run is not tried again" +
                                (run.Message is { } last ? $" (last: {last})" : "");
                store.Runs.MarkFinished(run.Id, RunStatus.Failed, failed);
                events.Publish(new RunUpdate(run.Id, Status: RunStatus.Failed, Message: failed));
                continue;
            }
            Retry(run.Id, "interrupted: the studio stopped; continuing from the last checkpoint");
        }
        // A queued run whose job this version cannot load (written by an earlier version, whose job type lived elsewhere)
        // would wait forever: it gets a new job.
        using var connection = storage.GetConnection();
        foreach (var run in store.Runs.WithStatus(RunStatus.Queued).Where(r => r.JobId is not null))
        {
            if (connection.GetJobData(run.JobId!) is { LoadException: null }) continue;
            jobs.ChangeState(run.JobId!, new DeletedState(), null);
            store.Runs.SetJob(run.Id, Enqueue(run.Id));
        }
    }

    /// <summary>Puts a run back in the queue with a new job (after an interruption or a failed attempt).</summary>
    public void Retry(int runId, string message)
    {
        store.Runs.MarkQueued(runId, message);
        store.Runs.SetJob(runId, Enqueue(runId));
    }

    /// <summary>
    /// Gives a run taken from a dead worker a new job (the run is already marked queued): the old job, still "processing"
    /// on the dead server, is deleted so that it can never run again.
    /// </summary>
    public void Requeue(int runId, string? oldJob)
    {
        if (oldJob is not null) jobs.ChangeState(oldJob, new DeletedState(), null);
        store.Runs.SetJob(runId, Enqueue(runId));
    }

    /// <summary>The message of a run that has had all its attempts.</summary>
    public static string GaveUp(int attempts, string? last) =>
        $"gave up after {attempts} attempts" + (last is null ? "" : $"; last: {last}");

    /// <summary>The estimate to keep with the run; a model whose shape cannot be read starts without one (the job then
    /// reports the load error).</summary>
    RunEstimate? Estimate(string datasetName, string model, RunRequest settings)
    {
        try
        {
            return estimates.Forecast(datasetName, model, settings).ToRecord();
        }
        catch (Exception e) when (e is StyleStudio.Training.Checkpoints.ModelLoadException or IOException or ArgumentException)
        {
            log.LogWarning(e, "no estimate for a run of {Model}", model);
            return null;
        }
    }

    string Enqueue(int runId) => jobs.Enqueue<TrainingJob>(job => job.Execute(runId, null, CancellationToken.None));
}
