namespace StyleStudio.Evaluation.Metrics;

/// <summary>BLEU's sufficient statistics: clipped n-gram matches and n-gram counts per order, and the two lengths.</summary>
public sealed record BleuStatistics(long[] Matches, long[] Totals, long HypothesisLength, long ReferenceLength)
{
    public static BleuStatistics Zero => new(new long[Bleu.MaxOrder], new long[Bleu.MaxOrder], 0, 0);

    public BleuStatistics Add(BleuStatistics other) => new(
        Matches.Zip(other.Matches, (a, b) => a + b).ToArray(), Totals.Zip(other.Totals, (a, b) => a + b).ToArray(),
        HypothesisLength + other.HypothesisLength, ReferenceLength + other.ReferenceLength);
}

/// <summary>A BLEU score (0–100) with what it was computed from.</summary>
public sealed record BleuScore(double Score, double BrevityPenalty, BleuStatistics Statistics);

/// <summary>
/// BLEU as sacreBLEU computes it (its defaults: 4-gram, exponential smoothing of zero counts, closest reference length),
/// corpus-level over summed statistics, or per sentence with effective order. Written here because no .NET package
/// reproduces sacreBLEU; the tests hold it to sacreBLEU 2.6's own numbers.
/// </summary>
public static class Bleu
{
    public const int MaxOrder = 4;

    /// <summary>Corpus BLEU of hypotheses against one or more reference sets (each as long as the hypotheses).</summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> referenceSets, MtTokenization tokenization)
    {
        if (referenceSets.Any(set => set.Count != hypotheses.Count))
            throw new ArgumentException($"every reference set needs {hypotheses.Count} lines, one per hypothesis");
        var total = BleuStatistics.Zero;
        for (int i = 0; i < hypotheses.Count; i++)
            total = total.Add(Statistics(hypotheses[i], referenceSets.Select(set => set[i]).ToList(), tokenization));
        return Score(total, effectiveOrder: false);
    }

    /// <summary>Sentence BLEU (effective order, as sacreBLEU's sentence_bleu).</summary>
    public static BleuScore Sentence(string hypothesis, IReadOnlyList<string> references, MtTokenization tokenization) =>
        Score(Statistics(hypothesis, references, tokenization), effectiveOrder: true);

    public static BleuStatistics Statistics(string hypothesis, IReadOnlyList<string> references, MtTokenization tokenization)
    {
        var hypothesisTokens = Tokens(hypothesis, tokenization);
        var hypothesisGrams = NGrams(hypothesisTokens);
        var maxReferenceCounts = new Dictionary<string, int>();
        long closest = -1;
        foreach (var reference in references)
        {
            var tokens = Tokens(reference, tokenization);
            // The reference length closest to the hypothesis; on a tie the shorter one.
            long distance = Math.Abs(tokens.Length - hypothesisTokens.Length);
            if (closest < 0 || distance < Math.Abs(closest - hypothesisTokens.Length)
                || (distance == Math.Abs(closest - hypothesisTokens.Length) && tokens.Length < closest))
                closest = tokens.Length;
            foreach (var (gram, count) in NGrams(tokens))
                maxReferenceCounts[gram] = Math.Max(count, maxReferenceCounts.GetValueOrDefault(gram));
        }
        var matches = new long[MaxOrder];
        var totals = new long[MaxOrder];
        for (int n = 1; n <= MaxOrder; n++) totals[n - 1] = Math.Max(0, hypothesisTokens.Length - n + 1);
        foreach (var (gram, count) in hypothesisGrams)
            matches[Order(gram) - 1] += Math.Min(count, maxReferenceCounts.GetValueOrDefault(gram));
        return new BleuStatistics(matches, totals, hypothesisTokens.Length, Math.Max(closest, 0));
    }

    public static BleuScore Score(BleuStatistics statistics, bool effectiveOrder)
    {
        long sys = statistics.HypothesisLength, reference = statistics.ReferenceLength;
        double brevity = sys < reference ? (sys > 0 ? Math.Exp(1 - (double)reference / sys) : 0) : 1;
        if (statistics.Matches.All(m => m == 0)) return new BleuScore(0, brevity, statistics);
        var precisions = new double[MaxOrder];
        double smoothing = 1;
        int order = MaxOrder;
        for (int n = 1; n <= MaxOrder; n++)
        {
            long total = statistics.Totals[n - 1], matched = statistics.Matches[n - 1];
            if (total == 0) break;
            if (effectiveOrder) order = n;
            if (matched == 0)
            {
                smoothing *= 2;                                  // sacreBLEU's "exp" smoothing (mteval-v13a's)
                precisions[n - 1] = 100.0 / (smoothing * total);
            }
            else precisions[n - 1] = 100.0 * matched / total;
        }
        double logSum = precisions.Take(order).Sum(p => p == 0 ? -9999999999 : Math.Log(p));
        return new BleuScore(brevity * Math.Exp(logSum / order), brevity, statistics);
    }

    static string[] Tokens(string text, MtTokenization tokenization) =>
        MtTokenizer.PythonSplit(MtTokenizer.Tokenize(text.TrimEnd(), tokenization)).ToArray();

    /// <summary>n-grams of orders 1–4 as space-joined keys with their counts (a key's order is its token count).</summary>
    static Dictionary<string, int> NGrams(string[] tokens)
    {
        var counts = new Dictionary<string, int>();
        for (int n = 1; n <= MaxOrder; n++)
            for (int i = 0; i + n <= tokens.Length; i++)
            {
                string gram = string.Join(' ', tokens, i, n);
                counts[gram] = counts.GetValueOrDefault(gram) + 1;
            }
        return counts;
    }

    static int Order(string gram) => gram.Count(c => c == ' ') + 1;
}
