using Hangfire;
using Hangfire.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StyleStudio.Application.Datasets;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

/// <summary>Settings of the process that trains: a worker may pin every run it takes to one device.</summary>
public sealed class TrainingWorkerOptions
{
    /// <summary>cpu, cuda or cuda:N for every run this process trains; null keeps each run's own device setting.</summary>
    public string? Device { get; set; }

    /// <summary>
    /// The device kind of a worker's --device: cpu, cuda, auto, or cuda:N (a CUDA device; which one is chosen for the
    /// whole process by <see cref="PinCudaDevice"/> before libtorch starts). Anything else is refused with the choices.
    /// </summary>
    public static DevicePreference ParseDevice(string device)
    {
        if (CudaIndex(device) is not null) return DevicePreference.Cuda;
        return Enum.TryParse<DevicePreference>(device, ignoreCase: true, out var kind) && !int.TryParse(device, out _)
            ? kind
            : throw new ArgumentException($"--device '{device}' is not one of cpu, cuda, cuda:N, auto");
    }

    /// <summary>N of cuda:N, else null.</summary>
    public static int? CudaIndex(string device) =>
        device.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase) && int.TryParse(device[5..], out int index) && index >= 0 ? index : null;

    /// <summary>
    /// Makes GPU N the only CUDA device this process sees (CUDA_VISIBLE_DEVICES, set in the native environment, which
    /// CUDA reads when it starts: .NET's Environment.SetEnvironmentVariable changes only its own copy on Linux). Call it
    /// before anything touches libtorch. A worker per GPU is how a machine with several GPUs serves a cluster.
    /// </summary>
    public static void PinCudaDevice(int index)
    {
        if (!OperatingSystem.IsWindows()) _ = SetNativeEnvironment("CUDA_VISIBLE_DEVICES", index.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);
        Environment.SetEnvironmentVariable("CUDA_VISIBLE_DEVICES", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "setenv")]
    static extern int SetNativeEnvironment(string name, string value, int overwrite);
}

/// <summary>
/// A training run as a Hangfire job: reads the dataset version the run was started on, trains through the same
/// <see cref="FineTuneRun"/> as the CLI, records every step and publishes it to open pages. If the process stops mid-run
/// (SIGTERM, Ctrl+C), the trainer finishes its step and saves a checkpoint, and Hangfire runs the job again (after a
/// restart, or on another worker of a cluster), continuing from it. A failed attempt is retried until the run has had
/// <see cref="StudioOptions.MaxRunAttempts"/>. In a cluster the job first takes the run's lease (<see cref="IRunLeases"/>)
/// and records which worker holds the run; a worker that finds the run handed to another (its heartbeat was missed, see
/// <see cref="Cluster.RunWatchdog"/>) stops after the step it is on.
/// </summary>
public sealed class TrainingJob(DataStore store, ModelCatalog models, RunEvents events, TrainingRuns runs, IRunLeases leases,
    IOptions<StudioOptions> options, IOptions<TrainingWorkerOptions> worker, ILogger<TrainingJob> log)
{
    /// <summary>One worker per process serves this queue: one GPU trains one run at a time.</summary>
    public const string Queue = "training";

    /// <summary>How often a job waiting for the previous holder's lease tries again.</summary>
    static readonly TimeSpan LeaseRetry = TimeSpan.FromSeconds(1);

    int MaxAttempts => Math.Max(1, options.Value.MaxRunAttempts);

    [Queue(Queue), AutomaticRetry(Attempts = 0)]
    public async Task Execute(int runId, PerformContext? context, CancellationToken cancellation)
    {
        var run = store.Runs.Get(runId);
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) return;
        string self = context?.ServerId ?? Environment.MachineName;
        await using var lease = await TakeLease(runId, cancellation);
        run = store.Runs.Get(runId);
        // While this job waited, the run may have ended, or been handed to a newer job (this one is then a leftover).
        if (run.Status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled) return;
        if (context is not null && run.JobId is { } current && current != context.BackgroundJob.Id) return;
        if (run.Attempts >= MaxAttempts)
        {
            Finish(runId, RunStatus.Failed, TrainingRuns.GaveUp(run.Attempts, run.Message));
            return;
        }
        int attempt = store.Runs.Claim(runId, self, "loading the model");
        log.LogInformation("run {Run} ({Name}): training here, attempt {Attempt} of {Max}", runId, run.Name, attempt, MaxAttempts);
        Publish(runId, RunStatus.Running, "loading the model");
        using var fence = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        try
        {
            Train(run, self, fence);
        }
        catch (OperationCanceledException) when (store.Runs.Get(runId).Worker != self)
        {
            log.LogWarning("run {Run} was handed to another worker while this one trained it; stopped at a checkpoint for it to continue from", runId);
        }
        catch (OperationCanceledException)
        {
            if (store.Runs.Get(runId).CancelRequested)
            {
                Finish(runId, RunStatus.Cancelled, "cancelled; checkpoints so far are kept in " + run.OutputDir);
                return;
            }
            // The process is shutting down: a clean stop at a checkpoint, not a failed attempt.
            store.Runs.WithdrawAttempt(runId);
            Finish(runId, RunStatus.Queued, "interrupted: the process training it stopped; the run continues from its last checkpoint");
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

    async Task<IAsyncDisposable> TakeLease(int runId, CancellationToken cancellation)
    {
        bool told = false;
        while (true)
        {
            if (await leases.TryTake(runId, cancellation) is { } lease) return lease;
            if (!told)
            {
                log.LogInformation("run {Run} is still held by another process; waiting for it to let go", runId);
                told = true;
            }
            await Task.Delay(LeaseRetry, cancellation);
        }
    }

    void Train(RunRecord run, string self, CancellationTokenSource fence)
    {
        // The stored request stays as the user asked; this process fills in its own paths (and a worker's pinned device).
        var settings = run.Settings with
        {
            ModelPath = models.Path(run.Model), OutputDir = run.OutputDir,
            Device = worker.Value.Device is { } device ? TrainingWorkerOptions.ParseDevice(device) : run.Settings.Device,
            // A worker pinned to a device trains every run there alone: the GPUs a run lists belong to the machine's studio.
            Devices = worker.Value.Device is null ? run.Settings.Devices : [],
        };
        var conversations = StyleRows.ForTraining(store.Rows(run.DatasetId, run.DatasetVersion), run.Style, store.Styles.All())
            .Select(r => r.ToConversation()).ToList();
        if (conversations.Count == 0) throw new InvalidOperationException($"no rows of style '{run.Style}' in {run.DatasetName} v{run.DatasetVersion}");

        using var fineTune = FineTuneRun.Prepare(settings, conversations);
        string? resumeFrom = fineTune.LatestCheckpoint;
        // Steps after the checkpoint (all of them without one) were recorded by an attempt that died: they are trained again.
        int resumedStep = resumeFrom is null ? 0 : TrainingCheckpoint.StepOf(resumeFrom);
        store.Runs.TrimMetrics(run.Id, resumedStep);
        string summary = fineTune.Summary + (resumeFrom is null ? "" : $" · resumed from {Path.GetFileName(resumeFrom)}");
        store.Runs.MarkRunning(run.Id, summary);
        Publish(run.Id, RunStatus.Running, summary);

        var progress = new StepRecorder(run.Id, self, store.Runs, events, fence);
        var result = fineTune.Run(progress, fence.Token, resume: resumeFrom is not null);
        if (result.Graphs?.Describe() is { } graphs) log.LogInformation("run {Run}: {Graphs}", run.Id, graphs);
        if (result.Reduction is { } reduction) log.LogInformation("run {Run}: {Reduction}", run.Id, reduction);
        if (result.Cancelled)
        {
            throw new OperationCanceledException(fence.Token);   // shutdown, cancel or a lost lease: Execute tells which
        }
        Finish(run.Id, RunStatus.Completed, fineTune.ResultDescription +
            (result.BestEvalLoss is { } best ? $"; best validation loss {best:F4} at step {result.BestStep}" : "") +
            (resumeFrom is null ? "" : $" (resumed from {Path.GetFileName(resumeFrom)})"));
    }

    void Finish(int runId, RunStatus status, string message)
    {
        log.LogInformation("run {Run}: {Status}: {Message}", runId, status.ToString().ToLowerInvariant(), message);
        if (status == RunStatus.Queued) store.Runs.MarkQueued(runId, message);
        else store.Runs.MarkFinished(runId, status, message);
        events.Publish(new RunUpdate(runId, Status: status, Message: message));
    }

    void Publish(int runId, RunStatus status, string message) => events.Publish(new RunUpdate(runId, Status: status, Message: message));

    /// <summary>
    /// Records and publishes each step; once the run has been handed to another worker, stops the run after the step it
    /// just recorded. The trainer then saves that step's checkpoint, and the next holder — which cannot start before this
    /// job lets go of the lease — continues after it: no step is lost or recorded twice.
    /// </summary>
    sealed class StepRecorder(int runId, string self, RunStore runs, RunEvents events, CancellationTokenSource fence) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent e)
        {
            runs.AddMetric(runId, e);
            events.Publish(new RunUpdate(runId, e));
            if (runs.Get(runId).Worker != self) fence.Cancel();
        }
    }
}
