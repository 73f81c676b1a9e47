using System.Text.Json;

namespace StyleStudio.Models.Hubs;

/// <summary>Tolerant reads of a hub's JSON: a field that is missing, null or of another type reads as null.</summary>
static class JsonFields
{
    public static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString() : null;

    public static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt64(out long n) ? n : null;
}
