namespace StyleStudio.Evaluation.Metrics;

/// <summary>
/// chrF (character n-gram F-score, β = 2, orders 1–6, whitespace ignored) and chrF++ (plus word 1–2-grams), as sacreBLEU
/// computes them by default: per order hypothesis/reference/match counts, best reference per segment, averaged
/// precision and recall over the orders that occur. Character n-grams run over Unicode code points, so Chinese text
/// needs no tokenizer. Hand-written for the same reason as <see cref="Bleu"/>; the tests hold it to sacreBLEU 2.6.
/// </summary>
public sealed class ChrF(int wordOrder = 0)
{
    const int CharOrder = 6;
    const double Beta = 2;
    const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>chrF: characters only.</summary>
    public static readonly ChrF Characters = new();

    /// <summary>chrF++: characters plus word unigrams and bigrams.</summary>
    public static readonly ChrF PlusWords = new(2);

    int Orders => CharOrder + wordOrder;

    public double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> referenceSets)
    {
        if (referenceSets.Any(set => set.Count != hypotheses.Count))
            throw new ArgumentException($"every reference set needs {hypotheses.Count} lines, one per hypothesis");
        var sum = new long[3 * Orders];
        for (int i = 0; i < hypotheses.Count; i++)
        {
            var statistics = Statistics(hypotheses[i], referenceSets.Select(set => set[i]).ToList());
            for (int k = 0; k < sum.Length; k++) sum[k] += statistics[k];
        }
        return FScore(sum);
    }

    public double Sentence(string hypothesis, IReadOnlyList<string> references) => FScore(Statistics(hypothesis, references));

    /// <summary>[hypothesis n-grams, reference n-grams, matches] per order, for the reference that scores best.</summary>
    public long[] Statistics(string hypothesis, IReadOnlyList<string> references)
    {
        var hypothesisGrams = AllNGrams(hypothesis);
        long[] best = [];
        double bestScore = -1;
        foreach (var reference in references)
        {
            var referenceGrams = AllNGrams(reference);
            var statistics = new long[3 * Orders];
            for (int order = 0; order < Orders; order++)
            {
                var (hyp, refs) = (hypothesisGrams[order], referenceGrams[order]);
                long hypCount = hyp.Values.Sum(), matched = hyp.Sum(g => Math.Min(g.Value, refs.GetValueOrDefault(g.Key)));
                statistics[3 * order] = refs.Count > 0 ? hypCount : 0;
                statistics[3 * order + 1] = refs.Values.Sum();
                statistics[3 * order + 2] = matched;
            }
            double score = FScore(statistics);
            if (score > bestScore) (bestScore, best) = (score, statistics);
        }
        return best;
    }

    double FScore(long[] statistics)
    {
        double factor = Beta * Beta, precision = 0, recall = 0;
        int effective = 0;
        for (int order = 0; order < Orders; order++)
        {
            long hyp = statistics[3 * order], reference = statistics[3 * order + 1], matched = statistics[3 * order + 2];
            if (hyp > 0 && reference > 0)
            {
                precision += (double)matched / hyp;
                recall += (double)matched / reference;
                effective++;
            }
        }
        if (effective == 0) return 0;
        (precision, recall) = (precision / effective, recall / effective);
        return precision + recall > 0 ? 100 * (1 + factor) * precision * recall / (factor * precision + recall) : 0;
    }

    List<Dictionary<string, int>> AllNGrams(string text)
    {
        // Characters: whitespace removed, n-grams over code points (text elements would merge combining marks; sacreBLEU doesn't).
        var codePoints = string.Concat(MtTokenizer.PythonSplit(text)).EnumerateRunes().Select(r => r.ToString()).ToArray();
        var grams = new List<Dictionary<string, int>>();
        for (int n = 1; n <= CharOrder; n++) grams.Add(Count(codePoints, n, ""));
        if (wordOrder > 0)
        {
            var words = SplitPunctuation(text);
            for (int n = 1; n <= wordOrder; n++) grams.Add(Count(words, n, " "));
        }
        return grams;
    }

    static Dictionary<string, int> Count(string[] units, int n, string separator)
    {
        var counts = new Dictionary<string, int>();
        for (int i = 0; i + n <= units.Length; i++)
        {
            string gram = string.Join(separator, units, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }

    /// <summary>Words for chrF++: one trailing (else one leading) ASCII punctuation mark split off a word, as chrF++.py does.</summary>
    static string[] SplitPunctuation(string text)
    {
        var words = new List<string>();
        foreach (var word in MtTokenizer.PythonSplit(text))
        {
            var elements = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
            if (elements.Length == 1) words.Add(word);
            else if (Punctuation.Contains(elements[^1], StringComparison.Ordinal)) words.AddRange([string.Concat(elements[..^1]), elements[^1]]);
            else if (Punctuation.Contains(elements[0], StringComparison.Ordinal)) words.AddRange([elements[0], string.Concat(elements[1..])]);
            else words.Add(word);
        }
        return [.. words];
    }
}
