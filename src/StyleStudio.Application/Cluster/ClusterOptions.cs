namespace StyleStudio.Application.Cluster;

/// <summary>How the studio's processes run: one embedded process, or a cluster of a studio and GPU workers.</summary>
public enum StudioMode { Embedded, Cluster }

/// <summary>
/// A cluster's shared services (<c>Studio:Cluster</c> section; environment variables such as
/// <c>Studio__Cluster__Postgres</c>). Every node — studio and workers — gets the same values, and the same
/// <c>Studio:DataFolder</c>, which must be a folder they all share (NFS, SMB): uploads, checkpoints and adapters live there.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>Npgsql connection string of the database holding datasets, runs, metrics and Hangfire's jobs.</summary>
    public string? Postgres { get; set; }

    /// <summary>StackExchange.Redis configuration (e.g. <c>redis:6379</c>) carrying run events between processes.</summary>
    public string? Redis { get; set; }

    /// <summary>Prefix of the Redis channels, so several clusters (or test runs) can share one Redis server.</summary>
    public string Name { get; set; } = "stylestudio";

    /// <summary>How often a worker's Hangfire server reports that it is alive.</summary>
    public double HeartbeatSeconds { get; set; } = 5;

    /// <summary>
    /// A worker whose last heartbeat is older than this is taken for dead: its run goes back to the queue and continues from
    /// its last checkpoint on another worker. Several heartbeats long, so a busy machine is not mistaken for a lost one.
    /// </summary>
    public double WorkerTimeoutSeconds { get; set; } = 30;

    public TimeSpan Heartbeat => TimeSpan.FromSeconds(HeartbeatSeconds);
    public TimeSpan WorkerTimeout => TimeSpan.FromSeconds(WorkerTimeoutSeconds);

    /// <summary>Names what a cluster lacks, for the error a misconfigured process stops with.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Postgres)) yield return "Studio:Cluster:Postgres (a PostgreSQL connection string) is not set";
        if (string.IsNullOrWhiteSpace(Redis)) yield return "Studio:Cluster:Redis (a Redis server such as redis:6379) is not set";
        if (HeartbeatSeconds <= 0) yield return "Studio:Cluster:HeartbeatSeconds must be above 0";
        if (WorkerTimeoutSeconds < 2 * HeartbeatSeconds) yield return "Studio:Cluster:WorkerTimeoutSeconds must be at least two heartbeats";
    }
}
