using System.Diagnostics;
using Hangfire;

namespace StyleStudio.Application.Cluster;

/// <summary>
/// Other studio processes of a cluster, as their Hangfire servers show them. A studio that starts re-queues the
/// evaluations, pair generations and downloads a previous process left running — unless another studio process is
/// alive and may be running them right now.
/// </summary>
public static class StudioPeers
{
    /// <summary>A studio's servers beat every 30 s (Hangfire's default); two missed beats mean it is gone.</summary>
    static readonly TimeSpan Silence = TimeSpan.FromMinutes(1);

    /// <summary>
    /// True when a server of another live process serves <paramref name="queue"/>. Called before this process's own
    /// servers start; a server of this machine whose process no longer exists (the studio that died) does not count.
    /// </summary>
    public static bool OthersServe(JobStorage storage, string queue)
    {
        var now = DateTime.UtcNow;
        return storage.GetMonitoringApi().Servers().Any(server =>
            server.Queues.Contains(queue) && server.Heartbeat is { } beat && now - beat.ToUniversalTime() < Silence
            && !DeadHere(server.Name));
    }

    /// <summary>A server id (<c>machine:pid:guid</c>) of this machine whose process has ended.</summary>
    static bool DeadHere(string serverId)
    {
        var parts = serverId.Split(':');
        if (parts.Length < 3 || !string.Equals(parts[0], Environment.MachineName, StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(parts[1], out int pid)) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;   // no such process
        }
    }
}
