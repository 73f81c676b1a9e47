using StyleStudio.Data.Model;

namespace StyleStudio.Data.Inspection;

/// <summary>Token lengths bucketed for a histogram: bucket i counts lengths in [Edges[i], Edges[i+1]).</summary>
public sealed record Histogram(IReadOnlyList<int> Edges, IReadOnlyList<long> Counts);

/// <summary>One style's numbers, and the warnings they raise.</summary>
/// <param name="TopInstructionShare">Share of rows using the single most common instruction wording.</param>
public sealed record StyleStatistics(string Style, long Rows, Histogram PromptTokens, Histogram OutputTokens,
    string? TopInstruction, double TopInstructionShare, IReadOnlyList<string> Warnings);

/// <summary>
/// Per-style statistics of a dataset: counts (fewer than <see cref="MinimumPairs"/> pairs per style is a warning),
/// prompt/answer token-length histograms in the model's tokenizer, and instruction diversity — when one wording
/// dominates (over <see cref="MaximumTopShare"/> of a style), the model tends to learn that wording instead of the task.
/// </summary>
public static class DatasetStatistics
{
    public const int MinimumPairs = 1000;
    public const double MaximumTopShare = 0.5;
    public const string NoStyle = "(no style)";
    static readonly int[] Edges = [0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    /// <param name="countTokens">Tokens in a text, as the model's tokenizer counts them.</param>
    public static IReadOnlyList<StyleStatistics> Compute(IEnumerable<DatasetRow> rows, Func<string, int> countTokens)
    {
        var groups = new Dictionary<string, (long Rows, long[] Prompt, long[] Output, Dictionary<string, long> Instructions)>();
        foreach (var row in rows)
        {
            string style = row.Style ?? NoStyle;
            if (!groups.TryGetValue(style, out var group))
                groups[style] = group = (0, new long[Edges.Length], new long[Edges.Length], []);
            int prompt = countTokens(row.Query) + row.History.Sum(t => countTokens(t.User) + countTokens(t.Assistant));
            group.Prompt[Bucket(prompt)]++;
            group.Output[Bucket(countTokens(row.Output))]++;
            string wording = row.Instruction.Trim();
            group.Instructions[wording] = group.Instructions.GetValueOrDefault(wording) + 1;
            groups[style] = group with { Rows = group.Rows + 1 };
        }
        return groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var (count, prompt, output, instructions) = g.Value;
            var top = instructions.MaxBy(p => p.Value);
            double share = top.Value / (double)count;
            var warnings = new List<string>();
            if (count < MinimumPairs)
                warnings.Add($"only {count:N0} pairs for style '{g.Key}'; style transfer usually needs at least {MinimumPairs:N0}");
            if (share > MaximumTopShare && instructions.Count > 0)
                warnings.Add($"{share:P0} of '{g.Key}' rows share one instruction (\"{Shorten(top.Key)}\"): vary the wording (augment) so the model learns the style, not the phrase");
            return new StyleStatistics(g.Key, count, new Histogram(Edges, prompt), new Histogram(Edges, output),
                top.Key.Length == 0 ? null : top.Key, share, warnings);
        }).ToList();
    }

    static int Bucket(int length)
    {
        int bucket = Array.BinarySearch(Edges, length);
        return bucket >= 0 ? bucket : ~bucket - 1;
    }

    static string Shorten(string text) => text.Length <= 30 ? text : text[..30] + "…";
}
