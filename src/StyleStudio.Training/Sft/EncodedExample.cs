namespace StyleStudio.Training.Sft;

/// <summary>Token ids of a rendered conversation and the labels to learn (-100 where nothing is learned).</summary>
public sealed record EncodedExample(int[] InputIds, long[] Labels)
{
    public int Length => InputIds.Length;

    /// <summary>Tokens that contribute to the loss (the first position predicts nothing, so its label never counts).</summary>
    public int TrainedTokens => Labels.Skip(1).Count(l => l != Objectives.CausalLmLoss.Ignore);
}
