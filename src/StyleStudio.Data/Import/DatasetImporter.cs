using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Import;

/// <summary>What to import and how; everything left null is detected.</summary>
/// <param name="Map">User choices "column → field" applied over the detected (or given) mapping.</param>
/// <param name="Style">One style label for every row that has none of its own.</param>
/// <param name="Limits">Caps on sizes and kept rejections (null: <see cref="ImportLimits.Default"/>).</param>
/// <param name="Mapping">A complete mapping the user confirmed (the studio's mapping step); detection is then only reported.</param>
public sealed record ImportOptions(SourceFormat? Format = null, string? Encoding = null,
    IReadOnlyList<(string Column, string Field)>? Map = null, string? Style = null, int MaxChars = RowMapper.DefaultMaxChars,
    FieldMapping? Mapping = null, ImportLimits? Limits = null)
{
    /// <summary>The limits that apply: <see cref="Limits"/>, else the defaults.</summary>
    public ImportLimits Caps => Limits ?? ImportLimits.Default;
}

/// <summary>
/// What an import did: the detected format, encoding and mapping, how many rows were rejected, the first of them with
/// their reasons (<see cref="ImportLimits.KeptRejections"/>) and the file that lists them all.
/// </summary>
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
    /// <summary>The first rejected rows (all of them when there are few).</summary>
    public IReadOnlyList<RowError> Errors { get; init; } = [];
    /// <summary>Every rejected row, counted.</summary>
    public long Rejected { get; init; }
    /// <summary>JSON Lines file with every rejected row (row, field, reason); null when none was written.</summary>
    public string? RejectionReport { get; init; }

    /// <summary>Whether <see cref="Errors"/> lists only the first of the rejected rows.</summary>
    public bool ErrorsTruncated => Rejected > Errors.Count;

    /// <summary>"12,345 rows rejected; the first 1,000 are listed, all are in …" — or just the count when all are listed.</summary>
    public string RejectionSummary => !ErrorsTruncated ? $"{Rejected:N0} rows rejected"
        : $"{Rejected:N0} rows rejected; the first {Errors.Count:N0} are listed" +
          (RejectionReport is null ? "" : $", all are in {RejectionReport}");
}

/// <summary>Raised when no usable mapping exists, or one names a column the file lacks: names the columns found.</summary>
public sealed class MappingException(string message) : Exception(message);

/// <summary>An import that would store no rows at all (an empty file, or a mapping that rejects every row); nothing is stored.</summary>
public sealed class NothingImportedException(ImportReport report) : Exception(Describe(report))
{
    public ImportReport Report { get; } = report;

    static string Describe(ImportReport report) => report.Rejected == 0
        ? $"{report.File}: the file holds no rows; nothing was imported"
        : $"{report.File}: all {report.Rejected:N0} rows were rejected (first: {report.Errors[0]}), so nothing was imported; " +
          $"check the mapping ({report.Mapping})";
}

/// <summary>
/// Reads a file of any supported format and encoding into <see cref="DatasetRow"/>s, streaming: a sample of the first
/// records proposes the mapping (user choices override it), then every record is mapped and handed on, or rejected
/// into the report with its location, field and reason.
/// </summary>
public static class DatasetImporter
{
    const int SampleSize = 200;

    /// <param name="rejectionReport">Where to write every rejected row (JSON Lines); without it only the first are kept.</param>
    public static ImportReport Import(string path, ImportOptions options, Action<DatasetRow> accept, IProgress<long>? progress = null,
        CancellationToken cancellation = default, string? rejectionReport = null)
    {
        var source = Open(path, options);
        using var records = SourceReaders.Read(path, source.Format, source.Encoding, source.Bom, options.Caps).GetEnumerator();
        var sample = new List<SourceRecord>();
        while (sample.Count < SampleSize && records.MoveNext()) sample.Add(records.Current);

        var resolved = Resolve(path, sample, options, columnsComplete: sample.Count < SampleSize || !SourceFormats.IsJson(source.Format));
        if (resolved.Mapping.Problem() is { } problem)
            throw new MappingException($"{System.IO.Path.GetFileName(path)}: {problem}. Columns found: " +
                $"{string.Join(", ", Columns(sample))}. Map them with --map COLUMN=FIELD.");

        using var rejections = new RejectionLog(options.Caps.KeptRejections, rejectionReport);
        long imported = 0, seen = 0;
        void Take(SourceRecord record)
        {
            var (row, error) = RowMapper.Map(record, resolved.Mapping, options.MaxChars);
            if (row is not null)
            {
                accept(row);
                imported++;
            }
            else rejections.Add(error!);
            if (++seen % 10_000 == 0)
            {
                progress?.Report(seen);
                cancellation.ThrowIfCancellationRequested();
            }
        }
        sample.ForEach(Take);
        while (records.MoveNext()) Take(records.Current);
        progress?.Report(seen);

        return new ImportReport
        {
            File = System.IO.Path.GetFileName(path),
            Format = source.Format,
            Encoding = SourceFormats.IsText(source.Format) ? source.Encoding : null,
            Mapping = resolved.Mapping,
            MappingConfidence = resolved.Confidence,
            MappingReason = resolved.Reason,
            Imported = imported,
            Errors = rejections.Kept,
            Rejected = rejections.Count,
            RejectionReport = rejections.ReportFile,
        };
    }

    /// <summary>
    /// What an import with <paramref name="options"/> would do, without storing anything: the file's columns and first
    /// records as read, the detected mapping and the one that applies, the first rows it produces and the rows it would
    /// reject (grouped by field and reason) among the first <paramref name="checkLimit"/> records — or the whole file
    /// when it is shorter (<see cref="MappingPreview.WholeFile"/>).
    /// </summary>
    public static MappingPreview Preview(string path, ImportOptions options, int rawRows = 8, int formattedRows = 5, int checkLimit = 5_000)
    {
        var source = Open(path, options);
        var records = new List<SourceRecord>();
        bool wholeFile = true;
        foreach (var record in SourceReaders.Read(path, source.Format, source.Encoding, source.Bom, options.Caps))
        {
            if (records.Count == checkLimit)
            {
                wholeFile = false;
                break;
            }
            records.Add(record);
        }
        var resolved = Resolve(path, records.Take(SampleSize).ToList(), options, wholeFile || !SourceFormats.IsJson(source.Format));
        var mapped = resolved.Mapping.Problem() is null
            ? records.Select(r => RowMapper.Map(r, resolved.Mapping, options.MaxChars)).ToList()
            : [];
        var errors = mapped.Where(m => m.Error is not null).Select(m => m.Error!).ToList();
        return new MappingPreview
        {
            File = System.IO.Path.GetFileName(path),
            Format = source.Format,
            Encoding = SourceFormats.IsText(source.Format) ? source.Encoding : null,
            Columns = Columns(records),
            FirstRecords = records.Take(rawRows).ToList(),
            Detected = resolved.Proposal,
            Mapping = resolved.Mapping,
            MappingConfidence = resolved.Confidence,
            Problem = resolved.Mapping.Problem(),
            FirstRows = mapped.Where(m => m.Row is not null).Select(m => m.Row!).Take(formattedRows).ToList(),
            Checked = records.Count,
            WholeFile = wholeFile,
            Rejected = errors.Count,
            Reasons = errors.GroupBy(e => (e.Field, e.Reason))
                .Select(g => new RejectionGroup(g.Key.Field, g.Key.Reason, g.Count(), g.Take(5).Select(e => e.Location).ToList()))
                .OrderByDescending(g => g.Count).ToList(),
        };
    }

    sealed record SourceFile(SourceFormat Format, string Encoding, int Bom);

    static SourceFile Open(string path, ImportOptions options)
    {
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        string encoding = options.Encoding ?? "utf-8";
        int bom = 0;
        if (options.Encoding is null) (encoding, bom) = TextEncodings.Detect(path);
        else _ = TextEncodings.Strict(options.Encoding);   // an unknown name fails here, before any reading
        return new SourceFile(options.Format ?? SourceFormats.Detect(path, encoding, bom), encoding, bom);
    }

    sealed record ResolvedMapping(FieldMapping Mapping, MappingProposal Proposal, double Confidence, string Reason);

    /// <summary>
    /// The mapping that applies: the detector's proposal, or the user's confirmed mapping, with the user's column choices
    /// over it. A mapping that names a column the file does not have is refused here, with the columns that exist —
    /// otherwise every row would be rejected, or a field silently left empty.
    /// </summary>
    /// <param name="columnsComplete">Whether the sample shows every column: a header does (CSV, spreadsheets, Parquet), JSON
    /// records may each have their own keys, so a column the sample lacks may still come later.</param>
    static ResolvedMapping Resolve(string path, List<SourceRecord> sample, ImportOptions options, bool columnsComplete)
    {
        var proposal = ShapeDetector.Propose(sample, options.Style);
        var mapping = (options.Map ?? []).Aggregate(options.Mapping ?? proposal.Mapping, (m, choice) => m.With(choice.Column, choice.Field));
        if (options.Style is not null) mapping = mapping with { FixedStyle = options.Style };

        var columns = Columns(sample);
        var missing = mapping.Columns().Where(c => !columns.Contains(c)).ToList();
        if (missing.Count > 0 && columns.Count > 0)
            throw new MappingException($"{System.IO.Path.GetFileName(path)}: " + (missing.Count == 1
                ? $"column '{missing[0]}' is not in the"
                : $"columns {string.Join(", ", missing.Select(c => $"'{c}'"))} are not in the") +
                (columnsComplete ? $" file; its columns are: " : $" first {sample.Count} records of the file; their columns are: ") +
                string.Join(", ", columns));

        // The user's choices are certain; a confirmed detection keeps the detector's own confidence and reason.
        bool changed = options.Map is { Count: > 0 } || (options.Mapping is not null && options.Mapping with { FixedStyle = null } != proposal.Mapping with { FixedStyle = null });
        return changed
            ? new ResolvedMapping(mapping, proposal, 1, "mapped by the user" + (proposal.Reason.Length > 0 ? $" (detector: {proposal.Reason})" : ""))
            : new ResolvedMapping(mapping, proposal, proposal.Confidence, proposal.Reason + (options.Mapping is null ? "" : "; confirmed by the user"));
    }

    /// <summary>The columns of the readable records, in order of first appearance.</summary>
    static List<string> Columns(IEnumerable<SourceRecord> records) =>
        records.Where(r => r.Problem is null).SelectMany(r => r.Fields.Keys).Distinct().ToList();

    /// <summary>All rows of a file in memory, with the report (for small files: the CLI's train, tests).</summary>
    public static (List<DatasetRow> Rows, ImportReport Report) ReadAll(string path, ImportOptions? options = null)
    {
        var rows = new List<DatasetRow>();
        var report = Import(path, options ?? new ImportOptions(), rows.Add);
        return (rows, report);
    }
}
