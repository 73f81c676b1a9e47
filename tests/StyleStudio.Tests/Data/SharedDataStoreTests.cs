using LiteDB;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Data;

/// <summary>
/// A data store shared by the processes of a cluster (PostgreSQL documents, a shared folder): several open it at once,
/// the first ones racing to make the tables, and none clears away what another is writing right now.
/// </summary>
public sealed class SharedDataStoreTests(PostgresTestDatabase server) : IClassFixture<PostgresTestDatabase>, IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("shared-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Processes_opening_a_new_database_at_once_all_get_the_same_store()
    {
        string database = server.NewSchema();
        const int processes = 6;
        var barrier = new Barrier(processes);
        var opening = Enumerable.Range(0, processes).Select(_ => Task.Run(() =>
        {
            barrier.SignalAndWait(TestContext.Current.CancellationToken);
            return DataStore.OpenShared(folder, database);
        }, TestContext.Current.CancellationToken)).ToArray();
        var stores = await Task.WhenAll(opening);
        try
        {
            var created = stores[0].Create("pairs", [new DatasetRow { Instruction = "改写", Output = "今日" }], "test");
            Assert.All(stores, s => Assert.Equal(created, s.Find("pairs")));
            var style = stores[1].Styles.Create("古风", "", "", null, null);
            Assert.Contains("already exists", Assert.Throws<ArgumentException>(() => stores[2].Styles.Create("古风", "", "", null, null)).Message);
            Assert.Equal(style, stores[3].Styles.Find("古风"));
        }
        finally
        {
            foreach (var store in stores) store.Dispose();
        }
    }

    [Fact]
    public void Opening_leaves_another_process_s_import_in_progress_alone_and_removes_an_abandoned_one()
    {
        string database = server.NewSchema();
        using var importing = DataStore.OpenShared(folder, database);
        string scratch = Path.Combine(importing.IncomingFolder, "upload.csv");
        Directory.CreateDirectory(importing.IncomingFolder);
        File.WriteAllText(scratch, "a,b\n");
        // What an import writes first (see DataStore.Import): a pending dataset and its uploads folder; one was started
        // by this live process a moment ago, the other by a process that died long ago.
        int live, abandoned;
        using (var documents = PostgresDocumentDatabase.Open(database))
        {
            var datasets = documents.Collection("datasets", DocumentIds.Int32);
            live = datasets.Insert(new BsonDocument { ["pendingName"] = "live", ["createdUtc"] = DateTime.UtcNow, ["version"] = 1 }).AsInt32;
            abandoned = datasets.Insert(new BsonDocument { ["pendingName"] = "old", ["createdUtc"] = DateTime.UtcNow.AddHours(-7), ["version"] = 1 }).AsInt32;
        }
        string liveUploads = Upload(live, DateTime.UtcNow), abandonedUploads = Upload(abandoned, DateTime.UtcNow.AddHours(-7));
        string orphanUploads = Upload(999, DateTime.UtcNow.AddDays(-1)), newOrphan = Upload(998, DateTime.UtcNow);
        string deadScratch = Path.Combine(folder, "incoming", "dead-host-1-0");
        Directory.CreateDirectory(deadScratch);
        Directory.SetLastWriteTimeUtc(deadScratch, DateTime.UtcNow.AddDays(-1));

        using var another = DataStore.OpenShared(folder, database);

        Assert.NotEqual(importing.IncomingFolder, another.IncomingFolder);
        Assert.True(File.Exists(scratch));
        Assert.False(Directory.Exists(deadScratch));
        Assert.True(Directory.Exists(liveUploads));
        Assert.True(Directory.Exists(newOrphan));   // may be an import whose dataset is being written right now
        Assert.False(Directory.Exists(abandonedUploads));
        Assert.False(Directory.Exists(orphanUploads));
        Assert.Contains("a dataset named 'live' already exists",
            Assert.Throws<ArgumentException>(() => another.Create("live", [new DatasetRow { Instruction = "q", Output = "a" }], "test")).Message);
        another.Create("old", [new DatasetRow { Instruction = "q", Output = "a" }], "test");   // the abandoned name is free again
    }

    [Fact]
    public void A_server_that_cannot_be_reached_fails_at_open()
    {
        var error = Assert.ThrowsAny<Npgsql.NpgsqlException>(() => DataStore.OpenShared(folder, "Host=127.0.0.1;Port=1;Username=x;Password=y;Timeout=3"));
        Assert.Contains("127.0.0.1", error.ToString());
    }

    string Upload(int dataset, DateTime written)
    {
        string path = Path.Combine(folder, "uploads", dataset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "original.csv"), "a,b\n");
        Directory.SetLastWriteTimeUtc(path, written);
        return path;
    }
}
