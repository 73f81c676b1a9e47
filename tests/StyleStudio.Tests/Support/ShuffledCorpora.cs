using System.Text.Json;

namespace StyleStudio.Tests.Support;

/// <summary>
/// Two unaligned corpora made from known pairs, as a user would hold them: the sources and targets of most pairs,
/// shuffled apart, plus lines with no partner mixed into both sides (sources of pairs whose target is left out, and
/// targets of pairs whose source is left out), so the true alignment is known.
/// </summary>
sealed record ShuffledCorpora(IReadOnlyList<string> Sources, IReadOnlyList<string> Targets, IReadOnlyDictionary<int, int> Truth)
{
    /// <param name="unrelated">The share of each side's lines that have no partner (0.25 = a quarter).</param>
    public static ShuffledCorpora From(IReadOnlyList<(string Source, string Target)> pairs, double unrelated, int seed)
    {
        var random = new Random(seed);
        var order = pairs.OrderBy(_ => random.Next()).ToList();
        // paired + lonely = side, lonely = unrelated · side, and each lonely line uses up one pair of the list.
        int paired = (int)Math.Floor(order.Count * (1 - unrelated) / (1 + unrelated));
        int lonely = (order.Count - paired) / 2;
        var kept = order.Take(paired).ToList();
        var sourcesOnly = order.Skip(paired).Take(lonely).Select(p => p.Source);
        var targetsOnly = order.Skip(paired + lonely).Take(lonely).Select(p => p.Target);
        var sources = kept.Select((p, i) => (Text: p.Source, Pair: i)).Concat(sourcesOnly.Select(s => (Text: s, Pair: -1))).OrderBy(_ => random.Next()).ToList();
        var targets = kept.Select((p, i) => (Text: p.Target, Pair: i)).Concat(targetsOnly.Select(t => (Text: t, Pair: -1))).OrderBy(_ => random.Next()).ToList();
        var targetOf = targets.Select((t, j) => (t.Pair, j)).Where(t => t.Pair >= 0).ToDictionary(t => t.Pair, t => t.j);
        var truth = sources.Select((s, i) => (s.Pair, i)).Where(s => s.Pair >= 0).ToDictionary(s => s.i, s => targetOf[s.Pair]);
        return new ShuffledCorpora(sources.Select(s => s.Text).ToList(), targets.Select(t => t.Text).ToList(), truth);
    }

    /// <summary>The input → output pairs of one of the repository's sample datasets (samples/NAME.jsonl).</summary>
    public static List<(string Source, string Target)> SamplePairs(string name) =>
        PairsIn(Path.Combine(Fixtures.RepositoryRoot(), "samples", name + ".jsonl"));

    /// <summary>The pairs held out from the miner's design (Fixtures/mining/NAME.jsonl; its README says how they were made).</summary>
    public static List<(string Source, string Target)> HeldOutPairs(string name) =>
        PairsIn(Path.Combine(Fixtures.Root, "mining", name + ".jsonl"));

    static List<(string Source, string Target)> PairsIn(string path) =>
        File.ReadLines(path).Where(line => line.Trim().Length > 0)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(row => (row.GetProperty("input").GetString()!, row.GetProperty("output").GetString()!)).ToList();

    /// <summary>Precision and recall of found (source, target) index pairs against the truth.</summary>
    public (double Precision, double Recall) Measure(IEnumerable<(int Source, int Target)> found)
    {
        var list = found.ToList();
        int correct = list.Count(p => Truth.TryGetValue(p.Source, out int t) && t == p.Target);
        return (list.Count == 0 ? 1 : (double)correct / list.Count, (double)correct / Truth.Count);
    }
}
