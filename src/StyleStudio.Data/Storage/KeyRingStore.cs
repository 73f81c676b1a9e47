using LiteDB;
using StyleStudio.Data.Storage.Documents;

namespace StyleStudio.Data.Storage;

/// <summary>
/// ASP.NET Core data-protection keys (XML elements, each under a name) kept with the studio's data, so every studio
/// process of a cluster reads the same key ring: a form one process rendered is accepted by another.
/// </summary>
public sealed class KeyRingStore
{
    readonly IDocumentCollection keys;

    internal KeyRingStore(IDocumentDatabase database)
    {
        keys = database.Collection("data_protection_keys");
        keys.EnsureIndex("name", unique: true);
    }

    /// <summary>Every stored key's XML, oldest first.</summary>
    public IReadOnlyList<string> All() => keys.FindAll().Select(d => d["xml"].AsString).ToList();

    /// <summary>Stores a key; a name already stored (a key is never rewritten) keeps its first XML.</summary>
    public void Add(string name, string xml)
    {
        try
        {
            keys.Insert(new BsonDocument { ["name"] = name, ["xml"] = xml });
        }
        catch (DuplicateKeyException)
        {
            // Another process stored the same key between our read and write: the ring already has it.
        }
    }
}
