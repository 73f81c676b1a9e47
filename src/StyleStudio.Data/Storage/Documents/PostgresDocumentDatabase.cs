using System.Collections.Concurrent;
using Npgsql;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// The shared backend: documents in PostgreSQL, one table per collection (see <see cref="PostgresDocumentCollection"/>),
/// for every process of a cluster at once. Operations take a pooled connection each, or the connection of the
/// transaction this thread opened with <see cref="BeginTransaction"/>.
/// </summary>
/// <remarks>
/// Tables, sequences, indexes and the key function are made when first asked for, with <c>IF NOT EXISTS</c>, inside a
/// transaction that first takes a transaction-scoped advisory lock: two processes opening a new database at once would
/// otherwise race in the catalog (concurrent <c>CREATE TABLE IF NOT EXISTS</c> can fail on pg_type's unique index).
/// </remarks>
public sealed class PostgresDocumentDatabase : IDocumentDatabase
{
    /// <summary>The advisory lock key schema changes serialize on ("StyleStd" in ASCII).</summary>
    const long SchemaLock = 0x5374796c65537464;

    /// <summary>
    /// How a value is compared, in SQL, as LiteDB compares it (its default collation ignores case): strings lower-cased
    /// (ICU, so beyond ASCII too), numbers by value whatever their type (an Int64 is stored as {"$numberLong": "…"}),
    /// null and a missing field both null, anything else as its canonical jsonb text. Indexes and equality queries use it.
    /// </summary>
    const string KeyFunction = """
        DO $do$ BEGIN
          IF to_regprocedure('stylestudio_key(jsonb)') IS NULL THEN
            CREATE FUNCTION stylestudio_key(value jsonb) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $f$
              SELECT CASE jsonb_typeof(value)
                WHEN 'string' THEN 's' || lower((value #>> '{}') COLLATE "und-x-icu")
                WHEN 'number' THEN 'n' || trim_scale(value::numeric)::text
                WHEN 'boolean' THEN 'b' || (value #>> '{}')
                WHEN 'object' THEN CASE WHEN value ? '$numberLong' THEN 'n' || (value ->> '$numberLong') ELSE 'j' || value::text END
                WHEN 'array' THEN 'j' || value::text
              END
            $f$;
          END IF;
        END $do$
        """;

    readonly NpgsqlDataSource source;
    readonly ThreadLocal<Transaction?> ambient = new();
    readonly ConcurrentDictionary<string, PostgresDocumentCollection> collections = new();

    PostgresDocumentDatabase(NpgsqlDataSource source) => this.source = source;

    /// <summary>Connects (tables are made as collections are asked for); fails at once when the server cannot be reached.</summary>
    public static PostgresDocumentDatabase Open(string connectionString)
    {
        var database = new PostgresDocumentDatabase(NpgsqlDataSource.Create(connectionString));
        try
        {
            database.Define(KeyFunction);
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    public IDocumentCollection Collection(string name, DocumentIds ids = DocumentIds.ObjectId) =>
        collections.GetOrAdd(DocumentQuery.Checked(name), _ => PostgresDocumentCollection.Create(this, name, ids));

    public IDocumentTransaction BeginTransaction()
    {
        if (ambient.Value is not null) throw new InvalidOperationException("a transaction is open on this thread already");
        var connection = source.OpenConnection();
        var transaction = new Transaction(this, connection, connection.BeginTransaction());
        ambient.Value = transaction;
        return transaction;
    }

    /// <summary>Runs schema statements in one transaction under the schema lock.</summary>
    internal void Define(params string[] statements) => InTransaction((connection, transaction) =>
    {
        using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({SchemaLock})"));
        foreach (var statement in statements) batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
        batch.ExecuteNonQuery();
        return 0;
    });

    /// <summary>Runs <paramref name="work"/> on this thread's transaction, or on a pooled connection of its own.</summary>
    internal T Use<T>(Func<NpgsqlConnection, NpgsqlTransaction?, T> work)
    {
        if (ambient.Value is { } open) return work(open.Connection, open.Inner);
        using var connection = source.OpenConnection();
        return work(connection, null);
    }

    /// <summary>Runs <paramref name="work"/> in this thread's transaction, or in one of its own that commits when it returns.</summary>
    internal T InTransaction<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work)
    {
        if (ambient.Value is { } open) return work(open.Connection, open.Inner);
        using var connection = source.OpenConnection();
        using var transaction = connection.BeginTransaction();
        var result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>Streams the first column of a query's rows; the connection is held until the enumeration ends.</summary>
    internal IEnumerable<string> Stream(string sql, Action<NpgsqlCommand> parameters)
    {
        var open = ambient.Value;
        using var owned = open is null ? source.OpenConnection() : null;
        using var command = new NpgsqlCommand(sql, open?.Connection ?? owned, open?.Inner);
        parameters(command);
        using var reader = command.ExecuteReader();
        while (reader.Read()) yield return reader.GetString(0);
    }

    public void Dispose()
    {
        source.Dispose();
        ambient.Dispose();
    }

    sealed class Transaction(PostgresDocumentDatabase database, NpgsqlConnection connection, NpgsqlTransaction inner) : IDocumentTransaction
    {
        bool done;

        public NpgsqlConnection Connection => connection;

        public NpgsqlTransaction Inner => inner;

        public void Commit()
        {
            inner.Commit();
            done = true;
        }

        public void Dispose()
        {
            try
            {
                if (!done) inner.Rollback();
            }
            finally
            {
                done = true;
                database.ambient.Value = null;
                inner.Dispose();
                connection.Dispose();
            }
        }
    }
}
