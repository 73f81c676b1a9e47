using StyleStudio.Data.Model;

namespace StyleStudio.Data.Export;

/// <summary>
/// Train/validation split, stratified by style (each style contributes its share to validation, so a rare style is not
/// left out of it) and seeded (System.Random with a seed gives the same split on every machine).
/// </summary>
public static class DatasetSplitter
{
    /// <param name="validation">A fraction in (0, 1), or a whole number of rows (≥ 1).</param>
    public static (List<DatasetRow> Train, List<DatasetRow> Validation) Split(IReadOnlyList<DatasetRow> rows, double validation, int seed)
    {
        if (validation <= 0) throw new ArgumentOutOfRangeException(nameof(validation), validation, "validation must be a fraction in (0, 1) or a count ≥ 1");
        if (validation >= 1 && validation != Math.Floor(validation))
            throw new ArgumentOutOfRangeException(nameof(validation), validation, "a validation count must be a whole number");
        long wanted = validation < 1 ? (long)Math.Round(rows.Count * validation) : (long)validation;
        if (wanted >= rows.Count) throw new ArgumentOutOfRangeException(nameof(validation), validation, $"asks for {wanted} validation rows of {rows.Count}");

        var random = new Random(seed);
        var train = new List<DatasetRow>();
        var held = new List<DatasetRow>();
        var styles = rows.Select((row, index) => (row, index)).GroupBy(p => p.row.Style ?? "").OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        // Largest-remainder allocation, so the per-style shares add up to exactly the number asked for.
        var quotas = styles.Select(g => wanted * (double)g.Count() / rows.Count).ToArray();
        var counts = quotas.Select(q => (long)Math.Floor(q)).ToArray();
        foreach (int i in Enumerable.Range(0, styles.Count).OrderByDescending(i => quotas[i] - counts[i]).Take((int)(wanted - counts.Sum())))
            counts[i]++;
        for (int s = 0; s < styles.Count; s++)
        {
            var members = styles[s].ToArray();
            random.Shuffle(members);
            held.AddRange(members.Take((int)counts[s]).OrderBy(p => p.index).Select(p => p.row));
            train.AddRange(members.Skip((int)counts[s]).OrderBy(p => p.index).Select(p => p.row));
        }
        return (train, held);
    }
}
