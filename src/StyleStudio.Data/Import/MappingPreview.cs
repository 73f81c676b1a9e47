using System.Text.Json.Nodes;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Import;

/// <summary>Rows a mapping would reject for one reason: how many, and the first few rows (line or row numbers).</summary>
public sealed record RejectionGroup(string Field, string Reason, int Count, IReadOnlyList<long> FirstRows)
{
    public override string ToString() => $"{Field}: {Reason} ({Count:N0}; row {string.Join(", ", FirstRows)}{(Count > FirstRows.Count ? ", …" : "")})";
}

/// <summary>
/// What importing a file with a given mapping would do, computed without storing anything (the studio's mapping step):
/// the file as read, the detected mapping, the mapping that applies, its first rows and its rejections.
/// </summary>
public sealed record MappingPreview
{
    /// <summary>Below this detector confidence the studio asks the user to confirm the mapping before importing.</summary>
    public const double ConfirmBelow = 0.9;

    public required string File { get; init; }
    public required SourceFormat Format { get; init; }
    /// <summary>Null for binary formats (xlsx, parquet).</summary>
    public string? Encoding { get; init; }
    /// <summary>Every column of the checked records, in order of first appearance.</summary>
    public required IReadOnlyList<string> Columns { get; init; }
    /// <summary>The first records as the file holds them.</summary>
    public required IReadOnlyList<SourceRecord> FirstRecords { get; init; }
    /// <summary>What the detector proposed, with its confidence and reason.</summary>
    public required MappingProposal Detected { get; init; }
    /// <summary>The mapping the preview applied (the detected one unless the user chose another).</summary>
    public required FieldMapping Mapping { get; init; }
    /// <summary>The confidence an import with this mapping records: the detector's, or 1 for the user's own choices.</summary>
    public required double MappingConfidence { get; init; }
    /// <summary>What the mapping lacks to produce rows (then nothing can be imported), or null.</summary>
    public string? Problem { get; init; }
    public required IReadOnlyList<DatasetRow> FirstRows { get; init; }
    /// <summary>How many records were mapped to count <see cref="Rejected"/>.</summary>
    public required int Checked { get; init; }
    /// <summary>Whether <see cref="Checked"/> covers the whole file, or only its first records.</summary>
    public required bool WholeFile { get; init; }
    public required int Rejected { get; init; }
    public required IReadOnlyList<RejectionGroup> Reasons { get; init; }

    public bool NeedsConfirmation => Detected.Confidence < ConfirmBelow;

    /// <summary>A raw cell as text: strings as they are, anything else (lists, numbers) as JSON; null when absent.</summary>
    public static string? Cell(SourceRecord record, string column) => record.Fields.GetValueOrDefault(column) switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        var other => other.ToJsonString(),
    };
}
