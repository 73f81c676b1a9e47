using LiteDB;
using Npgsql;
using NpgsqlTypes;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// A collection as a table: <c>seq</c> (insertion order), <c>id</c> (the <c>_id</c> as a key text, see
/// <see cref="PostgresKeys"/>; byte order, so a prefix of ids is a range) and <c>doc</c> (the whole document as jsonb,
/// see <see cref="BsonJson"/>). Int32 ids come from a sequence of the collection; indexes are expression indexes on
/// <c>stylestudio_key(doc -> 'field')</c>, the form equality queries take.
/// </summary>
sealed class PostgresDocumentCollection : IDocumentCollection
{
    readonly PostgresDocumentDatabase database;
    readonly DocumentIds ids;
    readonly string table, sequence;

    PostgresDocumentCollection(PostgresDocumentDatabase database, string name, DocumentIds ids)
    {
        this.database = database;
        this.ids = ids;
        Name = name;
        table = $"\"{name}\"";
        sequence = $"\"{name}_ids\"";
    }

    public static PostgresDocumentCollection Create(PostgresDocumentDatabase database, string name, DocumentIds ids)
    {
        var collection = new PostgresDocumentCollection(database, name, ids);
        database.Define(
            $"CREATE TABLE IF NOT EXISTS {collection.table} (seq bigint GENERATED ALWAYS AS IDENTITY, id text COLLATE \"C\" PRIMARY KEY, doc jsonb NOT NULL)",
            $"CREATE SEQUENCE IF NOT EXISTS {collection.sequence} AS integer");
        return collection;
    }

    public string Name { get; }

    public BsonDocument? FindById(BsonValue id) =>
        database.Stream($"SELECT doc FROM {table} WHERE id = @id", c => c.Parameters.Add(Key(id))).Select(BsonJson.ReadDocument).FirstOrDefault();

    public BsonDocument? FindOne(DocumentQuery query) => Select(query, limit: 1).FirstOrDefault();

    public IEnumerable<BsonDocument> Find(DocumentQuery query) => Select(query, limit: null);

    public IEnumerable<BsonDocument> FindAll() =>
        database.Stream($"SELECT doc FROM {table} ORDER BY seq", _ => { }).Select(BsonJson.ReadDocument);

    IEnumerable<BsonDocument> Select(DocumentQuery query, int? limit)
    {
        var where = PostgresQuery.Of(query);
        string sql = $"SELECT doc FROM {table} WHERE {where.Condition} ORDER BY {(where.ByIdPrefix ? "id" : "seq")}" + (limit is { } n ? $" LIMIT {n}" : "");
        return database.Stream(sql, where.AddTo).Select(BsonJson.ReadDocument);
    }

    public bool Exists(DocumentQuery query)
    {
        var where = PostgresQuery.Of(query);
        return Scalar<bool>($"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where.Condition})", where.AddTo);
    }

    public int Count() => (int)Scalar<long>($"SELECT count(*) FROM {table}", _ => { });

    public BsonValue Insert(BsonDocument document)
    {
        var id = Identify([document]).Single();
        Execute($"INSERT INTO {table} (id, doc) VALUES (@id, @doc)", c => c.Parameters.AddRange(new[] { Key(id), Doc(document) }));
        return id;
    }

    /// <summary>COPY in one transaction: all the documents, or none.</summary>
    public void InsertBulk(IEnumerable<BsonDocument> documents)
    {
        var all = documents.ToList();
        Identify(all);
        Writing(() => database.InTransaction((connection, _) =>
        {
            using var copy = connection.BeginBinaryImport($"COPY {table} (id, doc) FROM STDIN (FORMAT BINARY)");
            foreach (var document in all)
            {
                copy.StartRow();
                copy.Write(PostgresKeys.Of(document["_id"]), NpgsqlDbType.Text);
                copy.Write(BsonJson.Write(document), NpgsqlDbType.Jsonb);
            }
            return copy.Complete();
        }));
    }

    public bool Update(BsonDocument document) =>
        Execute($"UPDATE {table} SET doc = @doc WHERE id = @id", c => c.Parameters.AddRange(new[] { Key(document["_id"]), Doc(document) })) > 0;

    public bool Upsert(BsonDocument document)
    {
        if (!document.TryGetValue("_id", out var id) || id.IsNull)
        {
            Insert(document);
            return true;
        }
        // xmax is 0 on a row version this statement inserted, and the updating transaction's id on one it replaced.
        return Scalar<bool>($"INSERT INTO {table} (id, doc) VALUES (@id, @doc) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc RETURNING xmax = 0",
            c => c.Parameters.AddRange(new[] { Key(id), Doc(document) }));
    }

    /// <summary>The row stays locked (SELECT … FOR UPDATE) from the read to the write, so a concurrent Change waits and
    /// then reads this one's result.</summary>
    public bool Change(BsonValue id, Func<BsonDocument, bool> change) => Writing(() => database.InTransaction((connection, transaction) =>
    {
        string? json;
        using (var read = new NpgsqlCommand($"SELECT doc FROM {table} WHERE id = @id FOR UPDATE", connection, transaction))
        {
            read.Parameters.Add(Key(id));
            json = read.ExecuteScalar() as string;
        }
        if (json is null) return false;
        var document = BsonJson.ReadDocument(json);
        if (!change(document)) return false;
        using var write = new NpgsqlCommand($"UPDATE {table} SET doc = @doc WHERE id = @id", connection, transaction);
        write.Parameters.AddRange(new[] { Key(id), Doc(document) });
        return write.ExecuteNonQuery() > 0;
    }));

    public bool Delete(BsonValue id) => Execute($"DELETE FROM {table} WHERE id = @id", c => c.Parameters.Add(Key(id))) > 0;

    public int DeleteMany(DocumentQuery query)
    {
        var where = PostgresQuery.Of(query);
        return Execute($"DELETE FROM {table} WHERE {where.Condition}", where.AddTo);
    }

    public void EnsureIndex(string field, bool unique = false) =>
        CreateIndex(DocumentQuery.Checked(field), unique, [field]);

    public void EnsureUniqueIndex(string name, params string[] fields)
    {
        if (fields.Length == 0) throw new ArgumentException("a unique index needs at least one field");
        CreateIndex(DocumentQuery.Checked(name), unique: true, fields.Select(DocumentQuery.Checked).ToArray());
    }

    void CreateIndex(string name, bool unique, string[] fields)
    {
        string index = $"{Name}_{name}";
        if (index.Length > 63) throw new ArgumentException($"index name {index} is longer than PostgreSQL's 63 characters");
        string keys = string.Join(", ", fields.Select(f => $"stylestudio_key(doc -> '{f}')"));
        Writing(() => { database.Define($"CREATE {(unique ? "UNIQUE " : "")}INDEX IF NOT EXISTS \"{index}\" ON {table} ({keys})"); return 0; });
    }

    /// <summary>Gives documents without an id one (the collection's next integer, or a new ObjectId) and returns every id.
    /// An explicit integer id moves the collection's sequence past it, as LiteDB's counter does.</summary>
    List<BsonValue> Identify(List<BsonDocument> documents)
    {
        var missing = documents.Where(d => !d.TryGetValue("_id", out var id) || id.IsNull).ToList();
        if (ids == DocumentIds.Int32)
        {
            var next = missing.Count == 0 ? [] : database.Use((connection, transaction) =>
            {
                using var command = new NpgsqlCommand($"SELECT nextval('{sequence}')::int FROM generate_series(1, @n)", connection, transaction);
                command.Parameters.AddWithValue("n", missing.Count);
                using var reader = command.ExecuteReader();
                var values = new List<int>();
                while (reader.Read()) values.Add(reader.GetInt32(0));
                return values;
            });
            var given = documents.Except(missing).Select(d => d["_id"]).Where(id => id.IsInt32).Select(id => id.AsInt32).ToList();
            for (int i = 0; i < missing.Count; i++) missing[i]["_id"] = next[i];
            if (given.Count > 0 && given.Max() > 0)
                Scalar<long>($"SELECT setval('{sequence}', GREATEST(@v, (SELECT last_value FROM {sequence})))", c => c.Parameters.AddWithValue("v", (long)given.Max()));
        }
        else
            foreach (var document in missing) document["_id"] = ObjectId.NewObjectId();
        return documents.Select(d => d["_id"]).ToList();
    }

    int Execute(string sql, Action<NpgsqlCommand> parameters) => Writing(() => database.Use((connection, transaction) =>
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        parameters(command);
        return command.ExecuteNonQuery();
    }));

    T Scalar<T>(string sql, Action<NpgsqlCommand> parameters) => Writing(() => database.Use((connection, transaction) =>
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        parameters(command);
        return (T)command.ExecuteScalar()!;
    }));

    /// <summary>PostgreSQL's unique violation (23505) as <see cref="DuplicateKeyException"/>, naming the index
    /// ("runs_pkey" for the id).</summary>
    T Writing<T>(Func<T> write)
    {
        try
        {
            return write();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            string constraint = e.ConstraintName ?? "";
            string index = constraint == $"{Name}_pkey" ? "_id" : constraint.StartsWith(Name + "_", StringComparison.Ordinal) ? constraint[(Name.Length + 1)..] : constraint;
            throw new DuplicateKeyException(Name, index, $"{Name}: a document with the same {(index == "_id" ? "id" : $"key of index {index}")} exists ({e.Detail ?? e.MessageText})", e);
        }
    }

    static NpgsqlParameter Key(BsonValue id) => new("id", NpgsqlDbType.Text) { Value = PostgresKeys.Of(id) };

    static NpgsqlParameter Doc(BsonDocument document) => new("doc", NpgsqlDbType.Jsonb) { Value = BsonJson.Write(document) };
}
