namespace StyleStudio.Data.Pairs;

/// <summary>
/// How much content two texts share, from 0 (nothing) to 1 (the same features in the same proportions): the cosine of
/// their <see cref="TextFeatures"/> counts. Used on single pairs (a generated pair's two sides); mining many texts weighs
/// features by their rarity across the corpora instead (<c>PairMiner</c>).
/// </summary>
public static class ContentSimilarity
{
    public static double Between(string a, string b) => Cosine(TextFeatures.Of(a), TextFeatures.Of(b));

    static double Cosine(Dictionary<string, double> a, Dictionary<string, double> b)
    {
        if (a.Count == 0 || b.Count == 0) return 0;
        if (a.Count > b.Count) (a, b) = (b, a);
        double dot = 0;
        foreach (var (feature, count) in a)
            if (b.TryGetValue(feature, out var other)) dot += count * other;
        return dot / (Norm(a) * Norm(b));
    }

    static double Norm(Dictionary<string, double> counts) => Math.Sqrt(counts.Values.Sum(c => c * c));
}
