using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Import;

/// <summary>What to import and how; everything left null is detected.</summary>
/// <param name="Map">User choices "column → field" applied over the detected mapping.</param>
/// <param name="Style">One style label for every row that has none of its own.</param>
public sealed record ImportOptions(SourceFormat? Format = null, string? Encoding = null,
    IReadOnlyList<(string Column, string Field)>? Map = null, string? Style = null, int MaxChars = RowMapper.DefaultMaxChars);

/// <summary>What an import did: the detected format, encoding and mapping, and every rejected row with its reason.</summary>
public sealed record ImportReport
{
    public required string File { get; init; }
    public required SourceFormat Format { get; init; }
    /// <summary>Null for binary formats (xlsx, parquet).</summary>
    public string? Encoding { get; init; }
    public required FieldMapping Mapping { get; init; }
    public required double MappingConfidence { get; init; }
    public required string MappingReason { get; init; }
    public long Imported { get; init; }
    public IReadOnlyList<RowError> Errors { get; init; } = [];
    public long Rejected => Errors.Count;
}

/// <summary>Raised when no usable mapping exists: names the columns found, so the user can map them.</summary>
public sealed class MappingException(string message) : Exception(message);

/// <summary>
/// Reads a file of any supported format and encoding into <see cref="DatasetRow"/>s, streaming: a sample of the first
/// records proposes the mapping (user choices override it), then every record is mapped and handed on, or rejected
/// into the report with its location, field and reason.
/// </summary>
public static class DatasetImporter
{
    const int SampleSize = 200;

    public static ImportReport Import(string path, ImportOptions options, Action<DatasetRow> accept, IProgress<long>? progress = null,
        CancellationToken cancellation = default)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        string encoding = options.Encoding ?? "utf-8";
        int bom = 0;
        if (options.Encoding is null) (encoding, bom) = TextEncodings.Detect(path);
        else _ = TextEncodings.Strict(options.Encoding);   // an unknown name fails here, before any reading
        var format = options.Format ?? SourceFormats.Detect(path, encoding, bom);

        using var records = SourceReaders.Read(path, format, encoding, bom).GetEnumerator();
        var sample = new List<SourceRecord>();
        while (sample.Count < SampleSize && records.MoveNext()) sample.Add(records.Current);

        var proposal = ShapeDetector.Propose(sample, options.Style);
        var mapping = (options.Map ?? []).Aggregate(proposal.Mapping, (m, choice) => m.With(choice.Column, choice.Field));
        if (options.Style is not null) mapping = mapping with { FixedStyle = options.Style };
        if (mapping.Problem() is { } problem)
            throw new MappingException($"{System.IO.Path.GetFileName(path)}: {problem}. Columns found: " +
                $"{string.Join(", ", sample.SelectMany(r => r.Fields.Keys).Distinct())}. Map them with --map COLUMN=FIELD.");

        var errors = new List<RowError>();
        long imported = 0, seen = 0;
        void Take(SourceRecord record)
        {
            var (row, error) = RowMapper.Map(record, mapping, options.MaxChars);
            if (row is not null)
            {
                accept(row);
                imported++;
            }
            else errors.Add(error!);
            if (++seen % 10_000 == 0)
            {
                progress?.Report(seen);
                cancellation.ThrowIfCancellationRequested();
            }
        }
        sample.ForEach(Take);
        while (records.MoveNext()) Take(records.Current);
        progress?.Report(seen);

        bool manual = options.Map is { Count: > 0 };
        return new ImportReport
        {
            File = System.IO.Path.GetFileName(path),
            Format = format,
            Encoding = SourceFormats.IsText(format) ? encoding : null,
            Mapping = mapping,
            MappingConfidence = manual ? 1 : proposal.Confidence,
            MappingReason = manual ? "mapped by the user" + (proposal.Reason.Length > 0 ? $" (detector: {proposal.Reason})" : "") : proposal.Reason,
            Imported = imported,
            Errors = errors,
        };
    }

    /// <summary>All rows of a file in memory, with the report (for small files: the CLI's train, tests).</summary>
    public static (List<DatasetRow> Rows, ImportReport Report) ReadAll(string path, ImportOptions? options = null)
    {
        var rows = new List<DatasetRow>();
        var report = Import(path, options ?? new ImportOptions(), rows.Add);
        return (rows, report);
    }
}
