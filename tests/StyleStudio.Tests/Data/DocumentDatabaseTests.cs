using StyleStudio.Training.Trainer;
using LiteDB;
using StyleStudio.Data.Storage;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>
/// The document database contract on both backends: values keep their types, queries compare as LiteDB does (a missing
/// field is null, numbers by value, strings ignoring case), transactions are all or nothing, Change loses no update and
/// unique indexes refuse repeated keys.
/// </summary>
public abstract class DocumentDatabaseTests : IDisposable
{
    readonly Func<IDocumentDatabase> open;
    readonly Action cleanup;
    readonly List<IDocumentDatabase> opened = [];
    readonly IDocumentDatabase database;

    protected DocumentDatabaseTests(Func<IDocumentDatabase> open, Action cleanup)
    {
        this.open = open;
        this.cleanup = cleanup;
        database = Open();
    }

    /// <summary>Another connection to the same database where the backend allows one (PostgreSQL), else the same one.</summary>
    protected abstract bool SeveralProcesses { get; }

    IDocumentDatabase Open()
    {
        var opening = open();
        opened.Add(opening);
        return opening;
    }

    public void Dispose()
    {
        foreach (var each in opened) each.Dispose();
        cleanup();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public void Values_of_every_type_come_back_with_their_types()
    {
        var document = new BsonDocument
        {
            ["_id"] = "doc:1",
            ["int"] = int.MinValue, ["long"] = long.MaxValue, ["smallLong"] = 5L, ["decimal"] = 12.345m,
            ["double"] = 0.1 + 0.2, ["tiny"] = 1.2345678901234e-300, ["integral"] = 1e15, ["huge"] = 1.5e300, ["one"] = 1.0,
            ["nan"] = double.NaN, ["infinity"] = double.PositiveInfinity, ["minusInfinity"] = double.NegativeInfinity, ["minusZero"] = -0.0,
            ["date"] = new DateTime(2026, 11, 30, 12, 34, 56, 789, DateTimeKind.Utc), ["localDate"] = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Local),
            ["binary"] = new byte[] { 0, 1, 2, 254, 255 }, ["oid"] = ObjectId.NewObjectId(), ["guid"] = Guid.NewGuid(),
            ["text"] = "古风 \"quoted\" \\ \n\t é 😀", ["withNul"] = "a\0b", ["true"] = true, ["null"] = BsonValue.Null, ["empty"] = "",
            ["nested"] = new BsonArray { new BsonArray { 1, 2L, 3.5 }, new BsonArray(), new BsonDocument { ["deep"] = new BsonArray { new BsonDocument { ["x"] = DateTime.UtcNow } } } },
            ["mapped"] = BsonMapper.Global.ToDocument(new TrainingEvent(3, 10, 0.3, 0.123456789012345, 2e-5, null, 1234.5, 10, 20, EvalLoss: 1.75, MemoryBytes: 3L << 33)),
        };
        var collection = database.Collection("values");
        collection.Insert(document);

        var back = collection.FindById("doc:1");
        Assert.NotNull(back);
        AssertSame(document, back, "");
        AssertSame(document, collection.FindAll().Single(), "");
    }

    [Fact]
    public void A_missing_field_equals_null_and_differs_from_every_value()
    {
        var collection = database.Collection("nulls", DocumentIds.Int32);
        int missing = collection.Insert(new BsonDocument { ["other"] = 1 }).AsInt32;
        int isNull = collection.Insert(new BsonDocument { ["name"] = BsonValue.Null }).AsInt32;
        int named = collection.Insert(new BsonDocument { ["name"] = "x" }).AsInt32;

        Assert.Equal([missing, isNull], Ids(collection.Find(DocumentQuery.Eq("name", BsonValue.Null))));
        Assert.Equal([named], Ids(collection.Find(DocumentQuery.NotNull("name"))));
        Assert.Equal([missing, isNull], Ids(collection.Find(DocumentQuery.NotEq("name", "x"))));
        Assert.Equal([missing, isNull, named], Ids(collection.Find(DocumentQuery.NotEq("name", true))));
        Assert.True(collection.Exists(DocumentQuery.Eq("other", BsonValue.Null)));
        Assert.False(collection.Exists(DocumentQuery.Eq("other", 2)));
    }

    [Fact]
    public void Numbers_compare_by_value_whatever_their_type_and_strings_ignore_case()
    {
        var collection = database.Collection("comparisons", DocumentIds.Int32);
        int asInt = collection.Insert(new BsonDocument { ["n"] = 5, ["name"] = "Demo" }).AsInt32;
        int asLong = collection.Insert(new BsonDocument { ["n"] = 5L, ["name"] = "古风" }).AsInt32;
        int asDouble = collection.Insert(new BsonDocument { ["n"] = 5.0, ["name"] = "ÉCOLE" }).AsInt32;
        int smaller = collection.Insert(new BsonDocument { ["n"] = 3L, ["name"] = "other" }).AsInt32;
        Assert.Equal([asInt, asLong, asDouble], Ids(collection.Find(DocumentQuery.Gt("n", 4))));
        Assert.Equal([asInt, asLong, asDouble, smaller], Ids(collection.Find(DocumentQuery.Gt("n", 2.5))));
        // LiteDB orders strings ordinally (while it matches them ignoring case): "Demo" > "DEMO".
        Assert.Equal([asInt, asLong, asDouble, smaller], Ids(collection.Find(DocumentQuery.Gt("name", "DEMO"))));
        Assert.Equal([asLong, asDouble, smaller], Ids(collection.Find(DocumentQuery.Gt("name", "Demo"))));

        int text = collection.Insert(new BsonDocument { ["n"] = "5", ["name"] = "demonstration" }).AsInt32;
        Assert.Equal([asInt, asLong, asDouble], Ids(collection.Find(DocumentQuery.Eq("n", 5L))));
        Assert.Equal([asInt, asLong, asDouble], Ids(collection.Find(DocumentQuery.Eq("n", 5.0))));
        Assert.Equal([text], Ids(collection.Find(DocumentQuery.Eq("n", "5"))));
        Assert.Equal([asInt], Ids(collection.Find(DocumentQuery.Eq("name", "dEMO"))));
        Assert.Equal([asDouble], Ids(collection.Find(DocumentQuery.Eq("name", "école"))));
        Assert.Equal([asInt, text], Ids(collection.Find(DocumentQuery.StartsWith("name", "DEM"))));
        Assert.Equal([asLong, smaller], Ids(collection.Find(DocumentQuery.Or(DocumentQuery.Eq("name", "古风"), DocumentQuery.Eq("n", 3)))));
        Assert.Equal([asLong], Ids(collection.Find(DocumentQuery.And(DocumentQuery.Eq("n", 5), DocumentQuery.Eq("name", "古风")))));
        Assert.Equal(2, collection.DeleteMany(DocumentQuery.And(DocumentQuery.Eq("n", 5), DocumentQuery.NotEq("name", "demo"))));
        Assert.Equal([asInt, smaller, text], Ids(collection.FindAll()));
    }

    [Fact]
    public void Ids_compare_as_values_do_and_a_prefix_of_ids_reads_in_id_order()
    {
        var chunks = database.Collection("chunks");
        foreach (string id in new[] { "1:000000002", "10:000000000", "1:000000000", "2:000000000", "1:000000001" })
            chunks.Insert(new BsonDocument { ["_id"] = id });
        Assert.Equal(["1:000000000", "1:000000001", "1:000000002"], chunks.Find(DocumentQuery.StartsWith("_id", "1:")).Select(d => d["_id"].AsString));
        Assert.Equal(3, chunks.DeleteMany(DocumentQuery.StartsWith("_id", "1:")));
        Assert.Equal(["10:000000000", "2:000000000"], chunks.FindAll().Select(d => d["_id"].AsString).Order(StringComparer.Ordinal));

        var ratings = database.Collection("keys");
        Assert.True(ratings.Upsert(new BsonDocument { ["_id"] = "1/2/Alice", ["score"] = 1 }));
        Assert.False(ratings.Upsert(new BsonDocument { ["_id"] = "1/2/alice", ["score"] = 2 }));   // the same id, ignoring case
        Assert.Equal(2, ratings.FindById("1/2/ALICE")!["score"].AsInt32);
        var error = Assert.Throws<DuplicateKeyException>(() => ratings.Insert(new BsonDocument { ["_id"] = "1/2/ALICE" }));
        Assert.Equal(("keys", "_id"), (error.Collection, error.Index));

        var numbered = database.Collection("numbered", DocumentIds.Int32);
        Assert.Equal(1, numbered.Insert(new BsonDocument()).AsInt32);
        numbered.Insert(new BsonDocument { ["_id"] = 10 });
        Assert.Equal(11, numbered.Insert(new BsonDocument()).AsInt32);   // past an explicit id, as LiteDB counts
        Assert.NotNull(numbered.FindById(10L));
        Assert.True(numbered.Delete(10.0));
        Assert.Equal(2, numbered.Count());
    }

    [Fact]
    public void A_transaction_is_all_or_nothing_and_several_inserts_in_bulk_are_too()
    {
        var projects = database.Collection("projects", DocumentIds.Int32);
        var items = database.Collection("items");
        using (database.BeginTransaction())
        {
            projects.Insert(new BsonDocument { ["name"] = "dropped" });
            items.InsertBulk([new BsonDocument { ["_id"] = "1:0" }, new BsonDocument { ["_id"] = "1:1" }]);
            Assert.Equal(1, projects.Count());   // the transaction sees its own writes
        }
        Assert.Equal((0, 0), (projects.Count(), items.Count()));
        using (var transaction = database.BeginTransaction())
        {
            projects.Insert(new BsonDocument { ["name"] = "kept" });
            items.InsertBulk([new BsonDocument { ["_id"] = "2:0" }]);
            transaction.Commit();
        }
        Assert.Equal((1, 1), (projects.Count(), items.Count()));

        Assert.Throws<DuplicateKeyException>(() => items.InsertBulk([new BsonDocument { ["_id"] = "3:0" }, new BsonDocument { ["_id"] = "2:0" }]));
        Assert.Null(items.FindById("3:0"));
    }

    [Fact]
    public async Task Changes_from_two_threads_and_two_connections_lose_no_update()
    {
        var first = database.Collection("counters", DocumentIds.Int32);
        var second = SeveralProcesses ? Open().Collection("counters", DocumentIds.Int32) : first;
        int id = first.Insert(new BsonDocument { ["count"] = 0, ["cancel"] = false }).AsInt32;
        const int each = 60;
        var barrier = new Barrier(2);
        void Count(IDocumentCollection counters)
        {
            barrier.SignalAndWait(TestContext.Current.CancellationToken);
            for (int i = 0; i < each; i++)
                Assert.True(counters.Change(id, d =>
                {
                    d["count"] = d["count"].AsInt32 + 1;
                    return true;
                }));
        }
        await Task.WhenAll(Task.Run(() => Count(first), TestContext.Current.CancellationToken), Task.Run(() => Count(second), TestContext.Current.CancellationToken));
        Assert.Equal(2 * each, first.FindById(id)!["count"].AsInt32);

        Assert.False(second.Change(id, _ => false));   // declined: nothing written
        Assert.False(second.Change(id + 1, _ => true));   // no such document
        Assert.True(second.Change(id, d => { d["cancel"] = true; return true; }));
        Assert.True(first.Change(id, d => { d["status"] = "Running"; return true; }));
        var both = first.FindById(id)!;
        Assert.Equal((true, "Running", 2 * each), (both["cancel"].AsBoolean, both["status"].AsString, both["count"].AsInt32));
    }

    [Fact]
    public void A_unique_index_refuses_a_repeated_key_and_allows_every_other()
    {
        var metrics = database.Collection("metrics");
        metrics.EnsureIndex("run");
        metrics.EnsureUniqueIndex("run_step", "run", "Step");
        metrics.EnsureUniqueIndex("run_step", "run", "Step");   // again: nothing changes
        metrics.Insert(new BsonDocument { ["run"] = 1, ["Step"] = 1 });
        metrics.Insert(new BsonDocument { ["run"] = 1, ["Step"] = 2 });
        metrics.Insert(new BsonDocument { ["run"] = 2, ["Step"] = 1 });
        metrics.Insert(new BsonDocument { ["run"] = 11, ["Step"] = 1 });
        var error = Assert.Throws<DuplicateKeyException>(() => metrics.Insert(new BsonDocument { ["run"] = 1, ["Step"] = 2 }));
        Assert.Equal(("metrics", "run_step"), (error.Collection, error.Index));
        Assert.Equal(4, metrics.Count());

        var styles = database.Collection("styles", DocumentIds.Int32);
        styles.EnsureIndex("name", unique: true);
        styles.Insert(new BsonDocument { ["name"] = "Casual" });
        Assert.Equal("name", Assert.Throws<DuplicateKeyException>(() => styles.Insert(new BsonDocument { ["name"] = "casual" })).Index);
    }

    static List<int> Ids(IEnumerable<BsonDocument> documents) => documents.Select(d => d["_id"].AsInt32).Order().ToList();

    /// <summary>Equal values of equal types, field for field (in any order) and item for item.</summary>
    static void AssertSame(BsonValue expected, BsonValue actual, string path)
    {
        Assert.True(expected.Type == actual.Type, $"{path}: {expected.Type} came back as {actual.Type} ({actual})");
        switch (expected.Type)
        {
            case BsonType.Document:
                var (want, got) = (expected.AsDocument, actual.AsDocument);
                Assert.Equal(want.Keys.Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
                foreach (var key in want.Keys) AssertSame(want[key], got[key], $"{path}.{key}");
                break;
            case BsonType.Array:
                Assert.Equal(expected.AsArray.Count, actual.AsArray.Count);
                for (int i = 0; i < expected.AsArray.Count; i++) AssertSame(expected.AsArray[i], actual.AsArray[i], $"{path}[{i}]");
                break;
            case BsonType.Double:
                Assert.True(BitConverter.DoubleToInt64Bits(expected.AsDouble) == BitConverter.DoubleToInt64Bits(actual.AsDouble),
                    $"{path}: {expected.AsDouble:R} came back as {actual.AsDouble:R}");
                break;
            case BsonType.DateTime:
                Assert.Equal(expected.AsDateTime.ToUniversalTime(), actual.AsDateTime.ToUniversalTime());
                Assert.Equal(DateTimeKind.Local, actual.AsDateTime.Kind);   // as LiteDB gives stored dates back
                break;
            case BsonType.Binary:
                Assert.Equal(expected.AsBinary, actual.AsBinary);
                break;
            default:
                Assert.True(expected.RawValue?.Equals(actual.RawValue) ?? actual.IsNull, $"{path}: {expected} came back as {actual}");
                break;
        }
    }
}

public sealed class DocumentDatabaseTestsOnLiteDb : DocumentDatabaseTests
{
    public DocumentDatabaseTestsOnLiteDb() : this(Directory.CreateTempSubdirectory("documents-").FullName) { }

    DocumentDatabaseTestsOnLiteDb(string folder)
        : base(() => new LiteDocumentDatabase(Path.Combine(folder, "test.db")), () => Directory.Delete(folder, recursive: true)) { }

    protected override bool SeveralProcesses => false;
}

public sealed class DocumentDatabaseTestsOnPostgres(PostgresTestDatabase server)
    : DocumentDatabaseTests(Opener(server.NewSchema()), () => { }), IClassFixture<PostgresTestDatabase>
{
    static Func<IDocumentDatabase> Opener(string connectionString) => () => PostgresDocumentDatabase.Open(connectionString);

    protected override bool SeveralProcesses => true;
}
