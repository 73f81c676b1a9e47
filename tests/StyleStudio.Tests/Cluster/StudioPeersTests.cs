using Hangfire.PostgreSql;
using Hangfire.Server;
using StyleStudio.Application.Cluster;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cluster;

/// <summary>
/// A cluster studio restarting re-queues its interrupted evaluations only when no other studio process may be running
/// them: judged from the servers on Hangfire's PostgreSQL storage, as another studio announces them.
/// </summary>
public sealed class StudioPeersTests(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    const string Queue = "evaluation";

    [Fact]
    public void Only_a_live_studio_process_counts_as_a_peer()
    {
        var options = new PostgreSqlStorageOptions { SchemaName = "hangfire", PrepareSchemaIfNecessary = true };
        var storage = new PostgreSqlStorage(new Hangfire.PostgreSql.Factories.NpgsqlConnectionFactory(database.NewSchema(), options), options);
        Assert.False(StudioPeers.OthersServe(storage, Queue));   // nobody yet

        // The studio that died on this machine: its process is gone, its last heartbeat recent.
        Announce(storage, $"{Environment.MachineName}:{DeadPid()}:0f0f0f0f", Queue);
        Assert.False(StudioPeers.OthersServe(storage, Queue));

        // A server of another queue does not count either.
        Announce(storage, "other-box:4242:1a1a1a1a", "training");
        Assert.False(StudioPeers.OthersServe(storage, Queue));

        // A studio process alive on this machine, and one on another machine, do.
        Announce(storage, $"{Environment.MachineName}:{Environment.ProcessId}:2b2b2b2b", Queue);
        Assert.True(StudioPeers.OthersServe(storage, Queue));
        using (var connection = storage.GetConnection()) connection.RemoveServer($"{Environment.MachineName}:{Environment.ProcessId}:2b2b2b2b");
        Announce(storage, "studio-2:4711:3c3c3c3c", Queue);
        Assert.True(StudioPeers.OthersServe(storage, Queue));
    }

    static void Announce(PostgreSqlStorage storage, string serverId, string queue)
    {
        using var connection = storage.GetConnection();
        connection.AnnounceServer(serverId, new ServerContext { Queues = [queue], WorkerCount = 1 });
        connection.Heartbeat(serverId);
    }

    /// <summary>A process id no process has: one above the kernel's limit.</summary>
    static int DeadPid() => int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").Trim()) + 1;
}
