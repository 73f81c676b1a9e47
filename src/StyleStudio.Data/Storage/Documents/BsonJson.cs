using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LiteDB;

namespace StyleStudio.Data.Storage.Documents;

/// <summary>
/// BSON values as the JSON that PostgreSQL stores in <c>jsonb</c>, and back, type for type. Types JSON lacks are written
/// in LiteDB's extended JSON (<c>{"$date": …}</c>, <c>$numberLong</c>, <c>$binary</c>, <c>$oid</c>, <c>$guid</c>,
/// <c>$numberDecimal</c>, <c>$minValue</c>, <c>$maxValue</c>), so a document reads the same in either backend's tools.
/// </summary>
/// <remarks>
/// LiteDB's own <c>JsonSerializer</c> (5.0.21) was the first choice and does not round-trip: it writes a double with at
/// most nine decimals (0.1 + 0.2 comes back as 0.3, 1.2e-7 as 1.23e-7 cut to 0.000000123), NaN and infinities as null,
/// and field names unescaped. Here a double is written in its shortest round-trip form, always with a decimal point or
/// an exponent so that it reads back as a double (not an Int32), and NaN, ±∞ and −0 (which jsonb's numeric cannot hold)
/// as <c>{"$numberDouble": …}</c>. jsonb also refuses U+0000 in text, so a string holding it is kept as
/// <c>{"$utf8": base64}</c>. jsonb sorts an object's keys, so a document's field order is not kept (no store reads by position).
/// </remarks>
static class BsonJson
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(BsonValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Options)) Write(writer, value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static BsonDocument ReadDocument(string json)
    {
        using var parsed = JsonDocument.Parse(json);
        return Read(parsed.RootElement).AsDocument;
    }

    public static BsonValue Read(string json)
    {
        using var parsed = JsonDocument.Parse(json);
        return Read(parsed.RootElement);
    }

    static void Write(Utf8JsonWriter writer, BsonValue value)
    {
        switch (value.Type)
        {
            case BsonType.Null: writer.WriteNullValue(); break;
            case BsonType.Boolean: writer.WriteBooleanValue(value.AsBoolean); break;
            case BsonType.Int32: writer.WriteNumberValue(value.AsInt32); break;
            case BsonType.Double: WriteDouble(writer, value.AsDouble); break;
            case BsonType.String when value.AsString.Contains('\0'):
                Tagged(writer, "$utf8", Convert.ToBase64String(Encoding.UTF8.GetBytes(value.AsString))); break;
            case BsonType.String: writer.WriteStringValue(value.AsString); break;
            case BsonType.Int64: Tagged(writer, "$numberLong", value.AsInt64.ToString(CultureInfo.InvariantCulture)); break;
            case BsonType.Decimal: Tagged(writer, "$numberDecimal", value.AsDecimal.ToString(CultureInfo.InvariantCulture)); break;
            case BsonType.DateTime: Tagged(writer, "$date", value.AsDateTime.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture)); break;
            case BsonType.Binary: Tagged(writer, "$binary", Convert.ToBase64String(value.AsBinary)); break;
            case BsonType.ObjectId: Tagged(writer, "$oid", value.AsObjectId.ToString()); break;
            case BsonType.Guid: Tagged(writer, "$guid", value.AsGuid.ToString("D")); break;
            case BsonType.MinValue: Tagged(writer, "$minValue", "1"); break;
            case BsonType.MaxValue: Tagged(writer, "$maxValue", "1"); break;
            case BsonType.Array:
                writer.WriteStartArray();
                foreach (var item in value.AsArray) Write(writer, item);
                writer.WriteEndArray();
                break;
            case BsonType.Document:
                writer.WriteStartObject();
                foreach (var (key, item) in value.AsDocument)
                {
                    if (key.Contains('\0')) throw new ArgumentException("a field name cannot hold U+0000");
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }
                writer.WriteEndObject();
                break;
            default: throw new NotSupportedException($"BSON type {value.Type}");
        }
    }

    static void WriteDouble(Utf8JsonWriter writer, double d)
    {
        if (!double.IsFinite(d) || (d == 0 && double.IsNegative(d)))
        {
            Tagged(writer, "$numberDouble", double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : "-0");
            return;
        }
        string text = d.ToString("R", CultureInfo.InvariantCulture);
        // jsonb keeps a number's decimals but not its exponent (1E+15 comes back as 1000000000000000): an integral
        // double is written out in full with ".0" so that it reads back as a double.
        if (!text.Contains('.') && (!text.Contains('E') || text.Contains("E+"))) text = d.ToString("F1", CultureInfo.InvariantCulture);
        writer.WriteRawValue(text, skipInputValidation: true);
    }

    static void Tagged(Utf8JsonWriter writer, string tag, string text)
    {
        writer.WriteStartObject();
        writer.WriteString(tag, text);
        writer.WriteEndObject();
    }

    static BsonValue Read(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null: return BsonValue.Null;
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String: return element.GetString()!;
            case JsonValueKind.Number:
                string raw = element.GetRawText();
                if (raw.AsSpan().IndexOfAny(".eE") < 0)
                {
                    if (element.TryGetInt32(out int i)) return i;
                    if (element.TryGetInt64(out long l)) return l;
                }
                return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
            case JsonValueKind.Array:
                var array = new BsonArray();
                foreach (var item in element.EnumerateArray()) array.Add(Read(item));
                return array;
            case JsonValueKind.Object:
                if (Tag(element) is { } tagged) return tagged;
                var document = new BsonDocument();
                foreach (var property in element.EnumerateObject()) document[property.Name] = Read(property.Value);
                return document;
            default: throw new FormatException($"unexpected JSON {element.ValueKind}");
        }
    }

    /// <summary>The value of a one-field object whose field is a type tag; null for any other object.</summary>
    static BsonValue? Tag(JsonElement element)
    {
        using var properties = element.EnumerateObject();
        if (!properties.MoveNext()) return null;
        var only = properties.Current;
        if (properties.MoveNext() || only.Value.ValueKind != JsonValueKind.String || !only.Name.StartsWith('$')) return null;
        string text = only.Value.GetString()!;
        var invariant = CultureInfo.InvariantCulture;
        return only.Name switch
        {
            "$numberLong" => new BsonValue(long.Parse(text, invariant)),
            "$numberDouble" => new BsonValue(text switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, _ => -0.0 }),
            "$numberDecimal" => new BsonValue(decimal.Parse(text, NumberStyles.Float, invariant)),
            // As LiteDB reads a stored date: the same instant, in local time.
            "$date" => new BsonValue(DateTime.Parse(text, invariant, DateTimeStyles.RoundtripKind).ToLocalTime()),
            "$binary" => new BsonValue(Convert.FromBase64String(text)),
            "$oid" => new BsonValue(new ObjectId(text)),
            "$guid" => new BsonValue(Guid.Parse(text)),
            "$utf8" => new BsonValue(Encoding.UTF8.GetString(Convert.FromBase64String(text))),
            "$minValue" => BsonValue.MinValue,
            "$maxValue" => BsonValue.MaxValue,
            _ => null,
        };
    }
}
