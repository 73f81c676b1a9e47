using LiteDB;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>What <see cref="IDocumentCollection.Insert"/> gives a document that has no <c>_id</c>.</summary>
public enum DocumentIds
{
    /// <summary>A new <see cref="ObjectId"/> (or the id the caller put in the document).</summary>
    ObjectId,
    /// <summary>The next integer of the collection: 1, 2, 3 …</summary>
    Int32,
}

/// <summary>
/// The studio's document database: named collections of <see cref="BsonDocument"/>s. Two implementations: the embedded
/// LiteDB file of one studio process (<see cref="LiteDocumentDatabase"/>) and PostgreSQL, shared by a studio and its
/// workers (<see cref="PostgresDocumentDatabase"/>). Both compare values as LiteDB does: a missing field equals null,
/// numbers compare by value whatever their type, strings (ids included) match ignoring case (see <see cref="DocumentQuery"/>).
/// </summary>
public interface IDocumentDatabase : IDisposable
{
    /// <summary>The collection called <paramref name="name"/> (letters, digits, underscores), made when first asked for.</summary>
    IDocumentCollection Collection(string name, DocumentIds ids = DocumentIds.ObjectId);

    /// <summary>
    /// Starts a transaction on this thread: every operation of this database on this thread belongs to it until it is
    /// committed, or disposed uncommitted (which rolls it back). One at a time per thread.
    /// </summary>
    IDocumentTransaction BeginTransaction();
}

/// <summary>An open transaction; disposing it without <see cref="Commit"/> rolls it back.</summary>
public interface IDocumentTransaction : IDisposable
{
    void Commit();
}

/// <summary>
/// One collection. Field names are top-level names (letters, digits, underscores) and are matched with the casing the
/// documents were written with. Reads return documents in insertion order, except a prefix query on <c>_id</c>, which
/// returns them in id order (chunk collections use zero-padded ids so that the two agree).
/// </summary>
public interface IDocumentCollection
{
    string Name { get; }

    BsonDocument? FindById(BsonValue id);

    BsonDocument? FindOne(DocumentQuery query);

    /// <summary>Streams the matching documents; the caller enumerates once.</summary>
    IEnumerable<BsonDocument> Find(DocumentQuery query);

    IEnumerable<BsonDocument> FindAll();

    bool Exists(DocumentQuery query);

    int Count();

    /// <summary>Stores a new document and returns its id (given, or made as the collection's <see cref="DocumentIds"/> says).</summary>
    /// <exception cref="DuplicateKeyException">The id, or a unique index's key, is taken.</exception>
    BsonValue Insert(BsonDocument document);

    /// <summary>Stores many new documents, all or none.</summary>
    /// <exception cref="DuplicateKeyException">An id, or a unique index's key, is taken.</exception>
    void InsertBulk(IEnumerable<BsonDocument> documents);

    /// <summary>Replaces the stored document with the same <c>_id</c>; false when there is none.</summary>
    /// <remarks>Whatever another process wrote since this document was read is lost: a read-modify-write uses <see cref="Change"/>.</remarks>
    bool Update(BsonDocument document);

    /// <summary>Replaces the document with the same <c>_id</c>, or inserts it; true when it was inserted.</summary>
    bool Upsert(BsonDocument document);

    /// <summary>
    /// Reads the document, lets <paramref name="change"/> change it and stores it, with no other change to it in between
    /// (from this or another process). <paramref name="change"/> returns whether it changed anything; false leaves the
    /// document as it was.
    /// </summary>
    /// <returns>Whether the document was changed: false when there is no such document or <paramref name="change"/> declined.</returns>
    bool Change(BsonValue id, Func<BsonDocument, bool> change);

    bool Delete(BsonValue id);

    /// <returns>How many documents were deleted.</returns>
    int DeleteMany(DocumentQuery query);

    /// <summary>An index on one field, for <see cref="DocumentQuery.Eq"/> queries; unique refuses a second document with the
    /// same value (strings ignoring case).</summary>
    void EnsureIndex(string field, bool unique = false);

    /// <summary>A unique index over several fields: no two documents with the same values of all of them.</summary>
    /// <param name="name">The index's name (letters, digits, underscores; at most 32 characters).</param>
    void EnsureUniqueIndex(string name, params string[] fields);
}
