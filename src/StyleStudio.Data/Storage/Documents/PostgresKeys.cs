using System.Globalization;
using LiteDB;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// A document's <c>_id</c> as the text of its table's primary key, equal for ids LiteDB holds equal: numbers by value
/// (Int32 5 and Int64 5 are one id), strings ignoring case (lower-cased), ObjectIds and Guids by their text. A type
/// letter keeps the kinds apart (the number 5 and the string "5" are two ids).
/// </summary>
static class PostgresKeys
{
    public static string Of(BsonValue id) => id.Type switch
    {
        BsonType.Int32 or BsonType.Int64 => "n" + id.AsInt64.ToString(CultureInfo.InvariantCulture),
        BsonType.Double when double.IsInteger(id.AsDouble) && Math.Abs(id.AsDouble) < 9e18 => "n" + ((long)id.AsDouble).ToString(CultureInfo.InvariantCulture),
        BsonType.Double => "n" + id.AsDouble.ToString("R", CultureInfo.InvariantCulture),
        BsonType.String when id.AsString.Contains('\0') => throw new ArgumentException("an id cannot hold U+0000"),
        BsonType.String => StringPrefix(id.AsString),
        BsonType.ObjectId => "o" + id.AsObjectId,
        BsonType.Guid => "g" + id.AsGuid.ToString("D"),
        _ => throw new ArgumentException($"an id is a number, a string, an ObjectId or a Guid, not {id.Type}"),
    };

    /// <summary>The key text every string id starting with <paramref name="prefix"/> starts with.</summary>
    public static string StringPrefix(string prefix) => "s" + prefix.ToLowerInvariant();
}
