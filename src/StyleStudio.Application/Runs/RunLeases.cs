using Npgsql;

namespace StyleStudio.Application.Runs;

/// <summary>
/// The right to train a run: held for the whole attempt, so a run never trains in two places at once, even when a
/// worker taken for dead is still running (a network partition, a long pause) while its run continues elsewhere.
/// </summary>
public interface IRunLeases
{
    /// <summary>The lease on <paramref name="runId"/>, or null while another process holds it.</summary>
    Task<IAsyncDisposable?> TryTake(int runId, CancellationToken cancellation);
}

/// <summary>Leases of one process: the embedded studio, whose data folder's lock file already keeps other processes out.</summary>
public sealed class ProcessRunLeases : IRunLeases
{
    readonly HashSet<int> held = [];

    public Task<IAsyncDisposable?> TryTake(int runId, CancellationToken cancellation)
    {
        lock (held)
        {
            if (!held.Add(runId)) return Task.FromResult<IAsyncDisposable?>(null);
        }
        return Task.FromResult<IAsyncDisposable?>(new Lease(() =>
        {
            lock (held) held.Remove(runId);
        }));
    }

    sealed class Lease(Action release) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            release();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>
/// Leases as PostgreSQL session advisory locks, one connection per lease. The server drops the lock the moment the
/// holder's connection ends — a killed worker's socket is closed by its kernel at once; a machine lost without a word
/// is noticed by TCP keepalive (set here) — so the next worker can take the run as soon as the old one is really gone.
/// </summary>
public sealed class PostgresRunLeases(string connectionString) : IRunLeases
{
    /// <summary>The first half of the lock's key: "SS", so our locks do not collide with another application's.</summary>
    const int Namespace = 0x5353;

    readonly string connectionString = new NpgsqlConnectionStringBuilder(connectionString) { KeepAlive = 10, Pooling = false }.ConnectionString;

    public async Task<IAsyncDisposable?> TryTake(int runId, CancellationToken cancellation)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellation);
            await using var take = new NpgsqlCommand("SELECT pg_try_advisory_lock(@space, @run)", connection);
            take.Parameters.AddWithValue("space", Namespace);
            take.Parameters.AddWithValue("run", runId);
            if (await take.ExecuteScalarAsync(cancellation) is true) return new Lease(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <summary>Closing the connection ends its session, which releases the lock.</summary>
    sealed class Lease(NpgsqlConnection connection) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
