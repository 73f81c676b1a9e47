namespace StyleStudio.Data.Storage.Documents;

/// <summary>A write was refused because a document with the same id, or the same key of a unique index, exists.</summary>
/// <param name="Collection">The collection written to.</param>
/// <param name="Index">The index whose key is taken (<c>_id</c> for the id), as the backend names it.</param>
public sealed class DuplicateKeyException(string collection, string index, string message, Exception inner) : Exception(message, inner)
{
    public string Collection { get; } = collection;

    public string Index { get; } = index;
}
