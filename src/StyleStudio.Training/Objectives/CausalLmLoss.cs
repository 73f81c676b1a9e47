using static TorchSharp.torch;

namespace StyleStudio.Training.Objectives;

/// <summary>
/// Next-token cross-entropy as transformers computes it: logits at position t predict label t+1, labels of -100 (prompt,
/// padding) are ignored, and the mean runs over the remaining tokens, in fp32.
/// </summary>
public static class CausalLmLoss
{
    public const long Ignore = -100;

    /// <param name="logits">[B, T, V].</param>
    /// <param name="labels">[B, T] int64, -100 where nothing is to be learned.</param>
    public static Tensor Compute(Tensor logits, Tensor labels) => CrossEntropy(logits, labels, nn.Reduction.Mean);

    /// <summary>The summed loss; divided by the tokens of a whole accumulated step, micro-batches weigh by their tokens.</summary>
    public static Tensor Sum(Tensor logits, Tensor labels) => CrossEntropy(logits, labels, nn.Reduction.Sum);

    static Tensor CrossEntropy(Tensor logits, Tensor labels, nn.Reduction reduction)
    {
        using var scope = NewDisposeScope();
        long vocab = logits.shape[^1];
        var predictions = logits[.., ..^1, ..].reshape(-1, vocab).to(ScalarType.Float32);
        var targets = labels[.., 1..].reshape(-1);
        return nn.functional.cross_entropy(predictions, targets, ignore_index: Ignore, reduction: reduction).MoveToOuterDisposeScope();
    }
}
