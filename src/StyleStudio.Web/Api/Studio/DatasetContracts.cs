using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Api.Studio;

/// <summary>A dataset as listed: its current version and how many rows it holds.</summary>
/// <param name="Rejected">Rows its import (or latest re-mapping) rejected.</param>
/// <param name="SourceFile">The file it was imported from.</param>
public sealed record DatasetView(int Id, string Name, int Version, long Rows, long Rejected, DateTime CreatedUtc, string SourceFile)
{
    public static DatasetView Of(DatasetSummary d) => new(d.Id, d.Name, d.Version, d.Rows, d.Rejected, d.CreatedUtc, d.SourceFile);
}

/// <summary>A rejected row: where it is in the file (line, or row for spreadsheets and Parquet), which field, and why.</summary>
public sealed record RowRejection(long Row, string Field, string Reason)
{
    public static RowRejection Of(RowError e) => new(e.Location, e.Field, e.Reason);
}

/// <summary>One version of a dataset: the import, or a cleaning step on a parent version.</summary>
public sealed record DatasetVersionView(int Number, int? Parent, IReadOnlyList<string> Steps, long Rows, DateTime CreatedUtc, string? Note);

/// <summary>A dataset with its mapping, versions and the first rows its import rejected.</summary>
/// <param name="Mapping">Which file column feeds which field; absent for datasets made inside the studio.</param>
/// <param name="Rejections">The first rejected rows (at most <see cref="DatasetEndpoints.ListedRejections"/>).</param>
public sealed record DatasetDetail(DatasetView Dataset, FieldMapping? Mapping, IReadOnlyList<DatasetVersionView> Versions,
    IReadOnlyList<RowRejection> Rejections);

/// <summary>What an upload stored: the dataset, how the file was read and mapped, and what it rejected.</summary>
/// <param name="Format">The file's format as read (detected from its extension unless the request named one).</param>
/// <param name="Encoding">The text encoding as read; absent for xlsx and Parquet.</param>
/// <param name="Mapping">The mapping applied: the detected one with the request's columns over it.</param>
/// <param name="MappingConfidence">1 when the request chose columns, else the detector's share of sampled rows it accepts.</param>
/// <param name="Imported">Rows stored.</param>
/// <param name="Rejected">Rows rejected, all counted.</param>
/// <param name="Rejections">The first rejected rows (at most <see cref="DatasetEndpoints.ListedRejections"/>).</param>
public sealed record DatasetUploadResult(DatasetView Dataset, SourceFormat Format, string? Encoding, FieldMapping Mapping,
    double MappingConfidence, string MappingReason, long Imported, long Rejected, IReadOnlyList<RowRejection> Rejections)
{
    public static DatasetUploadResult Of(DatasetSummary dataset, ImportReport report) => new(DatasetView.Of(dataset), report.Format,
        report.Encoding, report.Mapping, report.MappingConfidence, report.MappingReason, report.Imported, report.Rejected,
        report.Errors.Take(DatasetEndpoints.ListedRejections).Select(RowRejection.Of).ToList());
}
