namespace StyleStudio.Data.Model;

/// <summary>A rejected row: where it is, which field, and why — kept in the import report so nothing is dropped silently.</summary>
/// <param name="Location">Line number (text formats) or row number (spreadsheets, Parquet), 1-based.</param>
public sealed record RowError(long Location, string Field, string Reason)
{
    public override string ToString() => $"row {Location}: {Field}: {Reason}";
}
