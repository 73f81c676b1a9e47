using System.Text.Json.Nodes;

namespace StyleStudio.Data.Import;

/// <summary>
/// One record as a file holds it, before mapping: named fields with JSON values (text formats and spreadsheets give
/// strings), and where it came from.
/// </summary>
/// <param name="Location">Line of a text file where the record starts, or row number of a spreadsheet / Parquet file /
/// element of a JSON array (1-based).</param>
/// <param name="Problem">Why this record could not be parsed (its fields are then empty); null for a good record.</param>
/// <param name="ProblemField">The field the problem is in, when it is one field's (an over-long cell); null for the whole row.</param>
public sealed record SourceRecord(long Location, IReadOnlyDictionary<string, JsonNode?> Fields, string? Problem = null, string? ProblemField = null);

/// <summary>A file that cannot be read on: truncated JSON, broken quoting, bytes invalid in the chosen encoding.</summary>
public sealed class SourceFormatException(string file, long line, long? offset, string reason)
    : Exception($"{Path.GetFileName(file)}: line {line}{(offset is { } o ? $", byte {o}" : "")}: {reason}")
{
    public string File { get; } = file;
    public long Line { get; } = line;
    public long? Offset { get; } = offset;
    public string Reason { get; } = reason;
}
