using StyleStudio.Data.Model;

namespace StyleStudio.Data.Cleaning;

/// <summary>What one step did to a version: rows in, rows removed, rows whose text it changed.</summary>
public sealed record StepReport(string Step, long RowsIn, long Removed, long Changed)
{
    public long RowsOut => RowsIn - Removed;

    public override string ToString() => $"{Step}: {RowsIn:N0} → {RowsOut:N0} rows ({Removed:N0} removed, {Changed:N0} changed)";
}

/// <summary>
/// One cleaning operation over a stream of rows. Steps are chained, each counted on its own; the store records the result
/// as a new dataset version, so every step can be undone by returning to the version before it.
/// </summary>
public abstract class CleaningStep
{
    long rowsIn, removed, changed;

    /// <summary>A short label for reports, with the step's settings ("near-duplicates ≥ 0.85").</summary>
    public abstract string Name { get; }

    public StepReport Report => new(Name, rowsIn, removed, changed);

    public IEnumerable<DatasetRow> Apply(IEnumerable<DatasetRow> rows)
    {
        foreach (var row in rows)
        {
            rowsIn++;
            var result = Transform(row);
            if (result is null) removed++;
            else
            {
                if (!ReferenceEquals(result, row) && !result.SameContent(row)) changed++;
                yield return result;
            }
        }
    }

    /// <summary>The row as this step leaves it: the same, changed, or null to remove it.</summary>
    protected abstract DatasetRow? Transform(DatasetRow row);

    /// <summary>Applies <paramref name="map"/> to every text field (history included).</summary>
    protected static DatasetRow MapText(DatasetRow row, Func<string, string> map) => row with
    {
        Instruction = map(row.Instruction),
        Input = row.Input is null ? null : map(row.Input),
        Output = map(row.Output),
        System = row.System is null ? null : map(row.System),
        Style = row.Style is null ? null : map(row.Style),
        History = row.History.Count == 0 ? row.History : row.History.Select(t => new HistoryTurn(map(t.User), map(t.Assistant))).ToList(),
    };
}
