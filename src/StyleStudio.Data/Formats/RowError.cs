namespace StyleStudio.Data.Formats;

/// <summary>A rejected row: where it is, which field, and why — kept so nothing is dropped silently.</summary>
public sealed record RowError(int Line, string Field, string Reason)
{
    public override string ToString() => $"line {Line}: {Field}: {Reason}";
}
