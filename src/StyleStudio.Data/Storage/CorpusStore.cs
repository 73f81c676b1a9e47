using LiteDB;
using StyleStudio.Data.Storage.Documents;

namespace StyleStudio.Data.Storage;

/// <summary>
/// A corpus: unpaired texts of one style (news articles split into sentences, a classical text split into paragraphs), the
/// raw material that pairs are mined from, generated from or written for.
/// </summary>
/// <param name="Name">Unique; the same rules as dataset names (it appears in URLs and CLI arguments).</param>
/// <param name="Style">The style every text is in ("现代文", "古风", "formal"); may be empty when the user has not said.</param>
/// <param name="SourceFile">The file the texts came from, as uploaded (or a description for texts made otherwise).</param>
/// <param name="Texts">How many texts (segments) it holds.</param>
/// <param name="Segmentation">How the file was split ("paragraphs", "sentences").</param>
public sealed record CorpusRecord(int Id, string Name, string Style, string SourceFile, int Texts, string Segmentation, DateTime CreatedUtc);

/// <summary>
/// Corpora in the studio's database: one document per corpus and its texts in chunk documents of 1,000 strings, so a
/// corpus of a million sentences neither makes one giant document nor one insert per line. A corpus is written whole or
/// not at all (pending until its last chunk is stored).
/// </summary>
public sealed class CorpusStore
{
    const int ChunkSize = 1000;
    readonly IDocumentCollection corpora, chunks;

    /// <param name="abandonedBefore">Corpora still pending that were started before this were left by a process that died.</param>
    internal CorpusStore(IDocumentDatabase database, DateTime abandonedBefore)
    {
        corpora = database.Collection("corpora", DocumentIds.Int32);
        chunks = database.Collection("corpus_texts");
        // Corpora a killed process left half-written are not corpora: remove them with their texts.
        foreach (var pending in corpora.Find(DocumentQuery.NotNull("pendingName")).ToList())
            if (pending["createdUtc"].AsDateTime.ToUniversalTime() < abandonedBefore) DeleteRecords(pending["_id"].AsInt32);
    }

    /// <summary>Every corpus, in order of creation.</summary>
    public IReadOnlyList<CorpusRecord> All() => corpora.Find(DocumentQuery.NotNull("name")).Select(Record).OrderBy(c => c.Id).ToList();

    /// <summary>The corpus called <paramref name="name"/>, or null.</summary>
    public CorpusRecord? Find(string name) => corpora.FindOne(DocumentQuery.Eq("name", name)) is { } document ? Record(document) : null;

    /// <summary>The corpus called <paramref name="name"/>, or an <see cref="ArgumentException"/> listing those there are.</summary>
    public CorpusRecord Get(string name) => Find(name)
        ?? throw new ArgumentException($"no corpus named '{name}'; corpora: {(All() is { Count: > 0 } all ? string.Join(", ", all.Select(c => c.Name)) : "none yet")}");

    /// <summary>Stores texts as a new corpus. Empty texts are refused (a segmenter never makes them), as is an empty corpus.</summary>
    public CorpusRecord Create(string name, string style, string sourceFile, IEnumerable<string> texts, string segmentation)
    {
        DatasetNames.Check(name);
        RequireFreeName(name);
        int id = corpora.Insert(new BsonDocument { ["pendingName"] = name, ["createdUtc"] = DateTime.UtcNow }).AsInt32;
        try
        {
            int count = 0, index = 0;
            foreach (var chunk in texts.Chunk(ChunkSize))
            {
                foreach (var text in chunk)
                    if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException($"text {count + Array.IndexOf(chunk, text) + 1} of '{name}' is empty");
                chunks.Insert(new BsonDocument { ["_id"] = $"{id}:{index++:D9}", ["texts"] = new BsonArray(chunk.Select(t => new BsonValue(t))) });
                count += chunk.Length;
            }
            if (count == 0) throw new ArgumentException($"'{sourceFile}' holds no text to keep");
            var document = corpora.FindById(id)!;
            document.Remove("pendingName");
            RequireFreeName(name);
            document["name"] = name;
            document["style"] = style.Trim();
            document["sourceFile"] = sourceFile;
            document["texts"] = count;
            document["segmentation"] = segmentation;
            corpora.Update(document);
            return Record(document);
        }
        catch
        {
            DeleteRecords(id);
            throw;
        }
    }

    /// <summary>Every text of the corpus, in the order of its file.</summary>
    public IReadOnlyList<string> Texts(string name) => Texts(name, int.MaxValue);

    /// <summary>The corpus's first <paramref name="count"/> texts, reading only the chunks that hold them (a page shows 200 of a million).</summary>
    public IReadOnlyList<string> Texts(string name, int count)
    {
        int id = Get(name).Id;
        return chunks.Find(DocumentQuery.StartsWith("_id", $"{id}:")).SelectMany(c => c["texts"].AsArray.Select(t => t.AsString)).Take(count).ToList();
    }

    /// <summary>Gives the corpus's texts another style label (the user said what they are after the import).</summary>
    public CorpusRecord SetStyle(string name, string style)
    {
        var document = corpora.FindOne(DocumentQuery.Eq("name", name)) ?? throw new ArgumentException($"no corpus named '{name}'");
        document["style"] = style.Trim();
        corpora.Update(document);
        return Record(document);
    }

    public void Delete(string name) => DeleteRecords(Get(name).Id);

    void RequireFreeName(string name)
    {
        if (corpora.Exists(DocumentQuery.Eq("name", name))) throw new ArgumentException($"a corpus named '{name}' already exists");
    }

    void DeleteRecords(int id)
    {
        chunks.DeleteMany(DocumentQuery.StartsWith("_id", $"{id}:"));
        corpora.Delete(id);
    }

    static CorpusRecord Record(BsonDocument d) => new(d["_id"].AsInt32, d["name"].AsString, d["style"].AsString, d["sourceFile"].AsString,
        d["texts"].AsInt32, d["segmentation"].AsString, d["createdUtc"].AsDateTime.ToUniversalTime());
}
