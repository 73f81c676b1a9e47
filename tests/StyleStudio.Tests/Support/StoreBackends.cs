using Npgsql;
using StyleStudio.Data.Storage;

namespace StyleStudio.Tests.Support;

/// <summary>Where a test's data store keeps its documents: the store tests run once per backend.</summary>
public interface IStoreBackend
{
    /// <summary>Opens (or, called again, reopens) the test's store on <paramref name="folder"/>.</summary>
    DataStore Open(string folder);
}

/// <summary>The data folder's own LiteDB file, as a single studio keeps it.</summary>
public sealed class LiteDbBackend : IStoreBackend
{
    public DataStore Open(string folder) => DataStore.Open(folder);
}

/// <summary>A PostgreSQL schema of the test's own (see <see cref="PostgresTestDatabase.Backend"/>), as a cluster keeps it.</summary>
public sealed class PostgresBackend(string connectionString) : IStoreBackend
{
    /// <summary>The connection string of the test's schema.</summary>
    public string ConnectionString => connectionString;

    public DataStore Open(string folder) => DataStore.OpenShared(folder, connectionString);
}

/// <summary>
/// A uniquely named PostgreSQL database for one test class (a class fixture), dropped when the class is done; each test
/// takes an empty schema of it. The server is <c>$STYLESTUDIO_TEST_POSTGRES</c>, else the local one with the password
/// <c>.ci/run</c> sets. A server that cannot be reached fails the tests with how to start it: cluster mode is tested
/// or the suite is red, never skipped.
/// </summary>
public sealed class PostgresTestDatabase : IDisposable
{
    public const string Variable = "STYLESTUDIO_TEST_POSTGRES";
    const string LocalServer = "Host=127.0.0.1;Port=5432;Username=postgres;Password=stylestudio";

    readonly string server, name = $"stylestudio_test_{Guid.NewGuid():N}";
    int schemas;

    public PostgresTestDatabase()
    {
        string configured = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : LocalServer;
        server = new NpgsqlConnectionStringBuilder(configured) { Database = "postgres", Pooling = false }.ConnectionString;
        try
        {
            Execute(server, $"CREATE DATABASE \"{name}\"");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            var shown = new NpgsqlConnectionStringBuilder(configured) { Password = null };
            throw new InvalidOperationException(
                $"PostgreSQL is needed for the store tests and could not be reached at {shown.ConnectionString}: {e.Message}. " +
                "Start the local server with `pg_ctlcluster 15 main start; su postgres -c \"psql -c \\\"ALTER USER postgres PASSWORD 'stylestudio'\\\"\"` " +
                $"(bash .ci/run installs and starts it), or point ${Variable} at a server's connection string.", e);
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(configured) { Database = name }.ConnectionString;
    }

    /// <summary>The test database (its public schema).</summary>
    public string ConnectionString { get; }

    /// <summary>A connection string whose search path is a new, empty schema: one test's own database.</summary>
    public string NewSchema()
    {
        string schema = $"test_{Interlocked.Increment(ref schemas)}";
        Execute(ConnectionString, $"CREATE SCHEMA {schema}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { SearchPath = schema }.ConnectionString;
    }

    /// <summary>Stores on a new schema of their own.</summary>
    public PostgresBackend Backend() => new(NewSchema());

    public void Dispose() => Execute(server, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    static void Execute(string connectionString, string sql)
    {
        using var connection = new NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
