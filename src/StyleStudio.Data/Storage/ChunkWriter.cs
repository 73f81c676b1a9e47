using System.Collections.Concurrent;
using LiteDB;
using StyleStudio.Data.Storage.Documents;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Storage;

/// <summary>
/// Writes a version's rows as chunk documents on a second thread while the caller produces them (reading and mapping a
/// file, or cleaning): each side is about half the work, so the two overlap. The bounded queue caps memory at a few
/// chunks. <see cref="Complete"/> waits for the last write and surfaces its errors.
/// </summary>
sealed class ChunkWriter : IDisposable
{
    readonly BlockingCollection<List<DatasetRow>> queue = new(boundedCapacity: 8);
    readonly Task writer;
    List<DatasetRow> pending = new(RowDocuments.ChunkSize);

    public ChunkWriter(IDocumentCollection chunks, string versionKey)
    {
        writer = Task.Run(() =>
        {
            int index = 0;
            foreach (var rows in queue.GetConsumingEnumerable())
                chunks.Insert(new BsonDocument { ["_id"] = RowDocuments.ChunkId(versionKey, index++), ["rows"] = RowDocuments.Pack(rows) });
        });
    }

    /// <summary>Writes every row of <paramref name="rows"/> as the version's chunks; returns how many there were.</summary>
    public static long WriteAll(IDocumentCollection chunks, string versionKey, IEnumerable<DatasetRow> rows)
    {
        using var writer = new ChunkWriter(chunks, versionKey);
        long count = 0;
        foreach (var row in rows)
        {
            writer.Add(row);
            count++;
        }
        writer.Complete();
        return count;
    }

    public void Add(DatasetRow row)
    {
        pending.Add(row);
        if (pending.Count < RowDocuments.ChunkSize) return;
        Hand(pending);
        pending = new List<DatasetRow>(RowDocuments.ChunkSize);
    }

    public void Complete()
    {
        if (pending.Count > 0) Hand(pending);
        pending = [];
        queue.CompleteAdding();
        writer.GetAwaiter().GetResult();
    }

    /// <summary>Queues a chunk; if the writer has failed, its error comes out here rather than blocking forever.</summary>
    void Hand(List<DatasetRow> rows)
    {
        while (!queue.TryAdd(rows, TimeSpan.FromMilliseconds(200)))
            if (writer.IsFaulted) writer.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        if (!queue.IsAddingCompleted) queue.CompleteAdding();
        try
        {
            writer.Wait();
        }
        catch (AggregateException)
        {
            // Already reported by Complete, or superseded by the caller's own exception.
        }
        queue.Dispose();
    }
}
