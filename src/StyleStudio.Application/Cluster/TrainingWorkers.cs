using Hangfire;
using Microsoft.Extensions.Options;
using StyleStudio.Application.Runs;
using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Cluster;

/// <summary>A job server that trains, as the studio shows it.</summary>
/// <param name="Id">Hangfire's server id (<c>name:pid:guid</c>), as a run's <see cref="RunRecord.Worker"/> names it.</param>
/// <param name="Name">The worker's name and process: its <c>--name</c> (or machine name) and process id.</param>
/// <param name="Alive">Its last heartbeat is within the worker timeout; a silent worker's run moves to another.</param>
/// <param name="RunId">The run it is training, if any.</param>
public sealed record WorkerView(string Id, string Name, DateTime? LastHeartbeatUtc, bool Alive, int? RunId, string? RunName);

/// <summary>The training workers Hangfire knows (an embedded studio has one: itself) and the run each holds.</summary>
public sealed class TrainingWorkers(JobStorage jobs, DataStore store, IOptions<StudioOptions> options)
{
    /// <summary>How long an embedded studio's own server may be silent: Hangfire's default heartbeat is 30 s.</summary>
    static readonly TimeSpan EmbeddedTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Workers serving the training queue, alive ones first, then by name.</summary>
    public IReadOnlyList<WorkerView> All()
    {
        var timeout = options.Value.Clustered ? options.Value.Cluster.WorkerTimeout : EmbeddedTimeout;
        var running = store.Runs.WithStatus(RunStatus.Running).Where(r => r.Worker is not null).ToList();
        var now = DateTime.UtcNow;
        return jobs.GetMonitoringApi().Servers()
            .Where(server => server.Queues.Contains(TrainingJob.Queue))
            .Select(server =>
            {
                DateTime? beat = server.Heartbeat?.ToUniversalTime();
                var run = running.FirstOrDefault(r => r.Worker == server.Name);
                return new WorkerView(server.Name, Display(server.Name), beat, beat is { } b && now - b < timeout, run?.Id, run?.Name);
            })
            .OrderByDescending(w => w.Alive).ThenBy(w => w.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>A server id (<c>gpu-box-2:4711:6f1c…</c>) as its name and process id: <c>gpu-box-2 (4711)</c>.</summary>
    public static string Display(string serverId)
    {
        var parts = serverId.Split(':');
        return parts.Length >= 2 ? $"{parts[0]} ({parts[1]})" : serverId;
    }
}
