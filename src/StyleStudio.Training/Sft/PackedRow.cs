using StyleStudio.Training.Objectives;

namespace StyleStudio.Training.Sft;

/// <summary>
/// Several short examples laid end to end in one row: segment ids keep their attention apart, positions restart at each
/// example, and the first token of every example is unlabelled so no example learns from its neighbour's last token.
/// </summary>
public sealed record PackedRow(int[] InputIds, long[] Labels, long[] Segments, long[] Positions)
{
    public int Length => InputIds.Length;

    public int TrainedTokens => Labels.Skip(1).Count(l => l != CausalLmLoss.Ignore);

    public static PackedRow Of(IReadOnlyList<EncodedExample> examples)
    {
        var ids = new List<int>();
        var labels = new List<long>();
        var segments = new List<long>();
        var positions = new List<long>();
        for (int i = 0; i < examples.Count; i++)
        {
            var example = examples[i];
            ids.AddRange(example.InputIds);
            labels.Add(CausalLmLoss.Ignore);
            labels.AddRange(example.Labels.Skip(1));
            segments.AddRange(Enumerable.Repeat((long)i + 1, example.Length));
            positions.AddRange(Enumerable.Range(0, example.Length).Select(p => (long)p));
        }
        return new PackedRow([.. ids], [.. labels], [.. segments], [.. positions]);
    }
}
