namespace StyleStudio.Training.Sft;

/// <summary>Token ids of a rendered conversation and the labels to learn (-100 where nothing is learned).</summary>
public sealed record EncodedExample(int[] InputIds, long[] Labels)
{
    public int Length => InputIds.Length;

    /// <summary>Tokens that contribute to the loss (the first position predicts nothing, so its label never counts).</summary>
    public int TrainedTokens => Labels.Skip(1).Count(l => l != Objectives.CausalLmLoss.Ignore);
}

/// <summary>A rendered conversation before the cutoff: all tokens, their labels, and which ones the cutoff keeps.</summary>
public sealed record RenderedExample(int[] InputIds, long[] Labels, bool[] Kept)
{
    public EncodedExample AfterCutoff() => new(
        InputIds.Where((_, i) => Kept[i]).ToArray(),
        Labels.Where((_, i) => Kept[i]).ToArray());
}
