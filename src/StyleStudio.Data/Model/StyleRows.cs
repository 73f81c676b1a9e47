using StyleStudio.Data.Storage;

namespace StyleStudio.Data.Model;

/// <summary>The rows a run trains on, as the article's two layouts need them.</summary>
public static class StyleRows
{
    /// <summary>
    /// The rows of one style label (a per-style adapter), or all rows when <paramref name="label"/> is null (one multi-task
    /// adapter, the style carried by the instruction). A row without an instruction takes its style's phrasing, so a
    /// multi-task adapter can tell the styles apart and answers the same phrasing the style sends when it is served.
    /// </summary>
    public static IEnumerable<DatasetRow> ForTraining(IEnumerable<DatasetRow> rows, string? label, IReadOnlyList<StyleRecord> styles)
    {
        var phrasing = styles.Where(s => s.Instruction.Length > 0).GroupBy(s => s.Label).ToDictionary(g => g.Key, g => g.First().Instruction);
        foreach (var row in rows)
        {
            if (label is not null && row.Style != label) continue;
            yield return row.Instruction.Length == 0 && row.Style is { } style && phrasing.TryGetValue(style, out var instruction)
                ? row with { Instruction = instruction }
                : row;
        }
    }
}
