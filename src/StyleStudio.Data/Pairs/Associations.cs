namespace StyleStudio.Data.Pairs;

/// <summary>
/// What one style's words become in the other, learned from the pairs a first pass found with confidence
/// (as hunalign builds its dictionary from a first alignment): a source feature and a target feature that occur together
/// in those pairs far more often than apart (Dice ≥ 0.3, at least twice) are linked, and a text then also carries
/// its words' counterparts — 快 brings 疾 once enough pairs showed 快 · 疾. Only whole characters and words are linked;
/// character n-grams inside words would link everything to everything.
/// </summary>
sealed class Associations
{
    const int MinimumTogether = 2;
    const double MinimumDice = 0.3;
    const int PerFeature = 2;
    readonly Dictionary<string, (string Target, double Dice)[]> links;

    Associations(Dictionary<string, (string, double)[]> links) => this.links = links;

    public static Associations Learn(IReadOnlyList<(Dictionary<string, double> Source, Dictionary<string, double> Target)> pairs)
    {
        var sourceCount = new Dictionary<string, int>(StringComparer.Ordinal);
        var targetCount = new Dictionary<string, int>(StringComparer.Ordinal);
        var together = new Dictionary<(string, string), int>();
        foreach (var (source, target) in pairs)
        {
            var s = source.Keys.Where(Linkable).ToList();
            var t = target.Keys.Where(Linkable).ToList();
            foreach (var f in s) sourceCount[f] = sourceCount.GetValueOrDefault(f) + 1;
            foreach (var g in t) targetCount[g] = targetCount.GetValueOrDefault(g) + 1;
            foreach (var f in s)
                foreach (var g in t)
                    if (f != g) together[(f, g)] = together.GetValueOrDefault((f, g)) + 1;
        }
        var links = together.Where(e => e.Value >= MinimumTogether)
            .Select(e => (Source: e.Key.Item1, Target: e.Key.Item2, Dice: 2.0 * e.Value / (sourceCount[e.Key.Item1] + targetCount[e.Key.Item2])))
            .Where(e => e.Dice >= MinimumDice)
            .GroupBy(e => e.Source)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(e => e.Dice).ThenBy(e => e.Target, StringComparer.Ordinal)
                .Take(PerFeature).Select(e => (e.Target, e.Dice)).ToArray(), StringComparer.Ordinal);
        return new Associations(links);
    }

    /// <summary>The source text's features plus its learned counterparts, each weighted by how strongly it is linked.</summary>
    public Dictionary<string, double> Augment(Dictionary<string, double> source)
    {
        var result = new Dictionary<string, double>(source, StringComparer.Ordinal);
        foreach (var feature in source.Keys)
            if (links.TryGetValue(feature, out var counterparts))
                foreach (var (target, dice) in counterparts)
                    result[target] = result.GetValueOrDefault(target) + dice;
        return result;
    }

    /// <summary>Han characters and bigrams (no prefix) and whole words.</summary>
    static bool Linkable(string feature) => feature.StartsWith("w:", StringComparison.Ordinal) || (feature.Length <= 2 && feature[0] > 0x2E80);
}
