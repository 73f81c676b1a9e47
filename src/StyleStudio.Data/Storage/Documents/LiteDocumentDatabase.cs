using System.Collections.Concurrent;
using LiteDB;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// The embedded backend: one LiteDB file in direct mode, for one process (its owner guards the file with a lock file).
/// A <see cref="IDocumentCollection.Change"/> holds a lock of its collection, which is enough because no other process
/// writes the file.
/// </summary>
public sealed class LiteDocumentDatabase(string file) : IDocumentDatabase
{
    readonly LiteDatabase database = new(new ConnectionString { Filename = file, Connection = ConnectionType.Direct });
    readonly ConcurrentDictionary<string, LiteDocumentCollection> collections = new();

    public IDocumentCollection Collection(string name, DocumentIds ids = DocumentIds.ObjectId) =>
        collections.GetOrAdd(DocumentQuery.Checked(name), _ => new LiteDocumentCollection(
            database.GetCollection(name, ids == DocumentIds.Int32 ? BsonAutoId.Int32 : BsonAutoId.ObjectId)));

    public IDocumentTransaction BeginTransaction() => database.BeginTrans()
        ? new Transaction(database)
        : throw new InvalidOperationException("a transaction is open on this thread already");

    public void Dispose() => database.Dispose();

    sealed class Transaction(LiteDatabase database) : IDocumentTransaction
    {
        bool done;

        public void Commit()
        {
            database.Commit();
            done = true;
        }

        public void Dispose()
        {
            if (!done) database.Rollback();
            done = true;
        }
    }
}

/// <summary>A LiteDB collection behind <see cref="IDocumentCollection"/>: queries become LiteDB's, its duplicate-key error ours.</summary>
sealed class LiteDocumentCollection(ILiteCollection<BsonDocument> collection) : IDocumentCollection
{
    readonly Lock changing = new();

    public string Name => collection.Name;

    public BsonDocument? FindById(BsonValue id) => collection.FindById(id);

    public BsonDocument? FindOne(DocumentQuery query) => collection.FindOne(Expression(query));

    public IEnumerable<BsonDocument> Find(DocumentQuery query) => collection.Find(Expression(query));

    public IEnumerable<BsonDocument> FindAll() => collection.FindAll();

    public bool Exists(DocumentQuery query) => collection.Exists(Expression(query));

    public int Count() => collection.Count();

    public BsonValue Insert(BsonDocument document) => Writing(() => collection.Insert(document));

    public void InsertBulk(IEnumerable<BsonDocument> documents) => Writing(() => collection.InsertBulk(documents));

    public bool Update(BsonDocument document) => Writing(() => collection.Update(document));

    public bool Upsert(BsonDocument document) => Writing(() => collection.Upsert(document));

    public bool Change(BsonValue id, Func<BsonDocument, bool> change)
    {
        lock (changing)
        {
            var document = collection.FindById(id);
            if (document is null || !change(document)) return false;
            return Writing(() => collection.Update(document));
        }
    }

    public bool Delete(BsonValue id) => collection.Delete(id);

    public int DeleteMany(DocumentQuery query) => collection.DeleteMany(Expression(query));

    public void EnsureIndex(string field, bool unique = false) => Writing(() => collection.EnsureIndex(DocumentQuery.Checked(field), unique));

    /// <summary>LiteDB indexes one value per document, so the key is the fields' values as strings, joined by a control
    /// character that names and numbers do not hold.</summary>
    public void EnsureUniqueIndex(string name, params string[] fields)
    {
        if (fields.Length == 0) throw new ArgumentException("a unique index needs at least one field");
        string key = string.Join(" + '\u001f' + ", fields.Select(f => $"STRING($.{DocumentQuery.Checked(f)})"));
        Writing(() => collection.EnsureIndex(DocumentQuery.Checked(name), key, unique: true));
    }

    T Writing<T>(Func<T> write)
    {
        try
        {
            return write();
        }
        catch (LiteException e) when (e.ErrorCode == LiteException.INDEX_DUPLICATE_KEY)
        {
            throw new DuplicateKeyException(Name, IndexOf(e.Message), $"{Name}: {e.Message}", e);
        }
    }

    void Writing(Action write) => Writing(() => { write(); return 0; });

    /// <summary>LiteDB names the index only in its message ("… in unique index 'name'. …").</summary>
    static string IndexOf(string message) =>
        message.Split('\'') is { Length: >= 2 } parts ? parts[1] : "";

    static BsonExpression Expression(DocumentQuery query) => query switch
    {
        DocumentQuery.FieldEquals q => Query.EQ(q.Field, q.Value),
        DocumentQuery.FieldNotEquals q => Query.Not(q.Field, q.Value),
        DocumentQuery.FieldGreaterThan q => Query.GT(q.Field, q.Value),
        DocumentQuery.FieldStartsWith q => Query.StartsWith(q.Field, q.Prefix),
        DocumentQuery.AllOf q => Query.And(q.Queries.Select(Expression).ToArray()),
        DocumentQuery.AnyOf q => Query.Or(q.Queries.Select(Expression).ToArray()),
        _ => throw new NotSupportedException(query.GetType().Name),
    };
}
