namespace StyleStudio.Data.Pairs;

/// <summary>A text as sorted feature ids with their L2-normalized weights.</summary>
sealed record SparseVector(int[] Features, float[] Weights);

/// <summary>
/// Both corpora as TF-IDF vectors over one vocabulary: weight = (1 + ln count) · idf, idf = ln((1 + N) / (1 + df)) + 1 over
/// all N texts of both sides (sklearn's smoothed form), each vector normalized so that a dot product is a cosine.
/// Sublinear counts keep a repeated character from dominating; idf makes the shared rare words (names, numbers, content
/// characters) count and the style's own function words (之乎者也, "gonna") count little.
/// </summary>
sealed class FeatureSpace
{
    public required SparseVector[] Sources { get; init; }
    public required SparseVector[] Targets { get; init; }
    public required int FeatureCount { get; init; }

    /// <summary>The features of each text (<see cref="TextFeatures.Of"/>), sources then targets.</summary>
    public static List<Dictionary<string, double>> Features(IReadOnlyList<string> sources, IReadOnlyList<string> targets) =>
        sources.Concat(targets).AsParallel().AsOrdered().Select(TextFeatures.Of).ToList();

    /// <param name="counts">Each text's features, the <paramref name="sourceCount"/> sources first.</param>
    public static FeatureSpace Build(IReadOnlyList<Dictionary<string, double>> counts, int sourceCount)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var documentFrequency = new List<int>();
        foreach (var text in counts)
            foreach (var feature in text.Keys)
            {
                if (!ids.TryGetValue(feature, out int id))
                {
                    ids[feature] = id = ids.Count;
                    documentFrequency.Add(0);
                }
                documentFrequency[id]++;
            }
        int total = counts.Count;
        var idf = documentFrequency.Select(df => Math.Log((1.0 + total) / (1.0 + df)) + 1).ToArray();
        var vectors = counts.Select(text => Vector(text, ids, idf)).ToArray();
        return new FeatureSpace { Sources = vectors[..sourceCount], Targets = vectors[sourceCount..], FeatureCount = ids.Count };
    }

    static SparseVector Vector(Dictionary<string, double> text, Dictionary<string, int> ids, double[] idf)
    {
        var entries = text.Select(t => (Id: ids[t.Key], Weight: (t.Value > 1 ? 1 + Math.Log(t.Value) : t.Value) * idf[ids[t.Key]])).OrderBy(e => e.Id).ToArray();
        double norm = Math.Sqrt(entries.Sum(e => e.Weight * e.Weight));
        return new SparseVector(entries.Select(e => e.Id).ToArray(), entries.Select(e => norm == 0 ? 0f : (float)(e.Weight / norm)).ToArray());
    }
}
