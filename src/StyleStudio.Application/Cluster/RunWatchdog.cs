using Hangfire;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StyleStudio.Application.Runs;
using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Cluster;

/// <summary>
/// Notices a worker that died mid-run — killed, or its machine lost — from Hangfire's server heartbeats, and puts its
/// run back in the queue to continue from its last checkpoint on another worker. Every process of a cluster runs one;
/// the run's hand-over is one atomic change of its record (<see cref="RunStore.Reassign"/>), so only one of them
/// requeues it. A run is without progress for at most <see cref="ClusterOptions.WorkerTimeout"/> plus one check and
/// the new worker's model load.
/// </summary>
public sealed class RunWatchdog(DataStore store, TrainingRuns runs, RunEvents events, JobStorage jobs, ClusterOptions options,
    ILogger<RunWatchdog> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.Heartbeat);
        while (await timer.WaitForNextTickAsync(stopping))
        {
            try
            {
                Check();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "could not check the workers' heartbeats");   // the database or Redis is away; try again
            }
        }
    }

    /// <summary>Hands each running run whose worker has stopped beating to the queue.</summary>
    public void Check()
    {
        var running = store.Runs.WithStatus(RunStatus.Running).Where(r => r.Worker is not null).ToList();
        if (running.Count == 0) return;
        var now = DateTime.UtcNow;
        var beats = jobs.GetMonitoringApi().Servers().ToDictionary(s => s.Name, s => s.Heartbeat);
        foreach (var run in running)
        {
            DateTime? last = beats.TryGetValue(run.Worker!, out var beat) ? beat : null;
            if (last is { } seen && now - seen.ToUniversalTime() < options.WorkerTimeout) continue;
            string silence = last is { } at ? $"no heartbeat for {(now - at.ToUniversalTime()).TotalSeconds:F0} s" : "it is gone from the server list";
            string message = $"worker {run.Worker} stopped ({silence}); the run continues from its last checkpoint on another worker";
            if (!store.Runs.Reassign(run.Id, run.Worker!, message)) continue;   // another process handed it over first
            log.LogWarning("run {Run}: {Message}", run.Id, message);
            runs.Requeue(run.Id, run.JobId);
            events.Publish(new RunUpdate(run.Id, Status: RunStatus.Queued, Message: message));
        }
    }
}
