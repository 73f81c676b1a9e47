using static TorchSharp.torch;

namespace StyleStudio.Training.Generation;

/// <summary>
/// The logits processors of Hugging Face generate(), in its order: repetition penalty → min-new-tokens → temperature →
/// top-k → top-p. Each takes and returns fp32 logits [B, V]; a neutral setting skips its step entirely, as HF does.
/// </summary>
public static class LogitsProcessing
{
    public static Tensor Apply(Tensor logits, Tensor history, SamplingOptions options, int generated, IReadOnlyList<int> eosIds)
    {
        using var scope = NewDisposeScope();
        var scores = logits.to(ScalarType.Float32);
        if (options.RepetitionPenalty != 1.0) scores = RepetitionPenalty(scores, history, options.RepetitionPenalty);
        if (generated < options.MinNewTokens && eosIds.Count > 0) scores = SuppressTokens(scores, eosIds);
        if (!options.Greedy)
        {
            if (options.Temperature != 1.0) scores = scores / options.Temperature;
            if (options.TopK > 0) scores = TopK(scores, options.TopK);
            if (options.TopP < 1.0) scores = TopP(scores, options.TopP);
        }
        return scores.MoveToOuterDisposeScope();
    }

    /// <summary>Tokens in <paramref name="history"/> [B, L]: negative logits × penalty, positive ÷ penalty.</summary>
    public static Tensor RepetitionPenalty(Tensor scores, Tensor history, double penalty)
    {
        using var scope = NewDisposeScope();
        var seen = scores.gather(1, history);
        var penalized = where(seen < 0, seen * penalty, seen / penalty);
        return scores.scatter(1, history, penalized).MoveToOuterDisposeScope();
    }

    public static Tensor SuppressTokens(Tensor scores, IReadOnlyList<int> ids)
    {
        using var scope = NewDisposeScope();
        var columns = tensor(ids.Select(i => (long)i).ToArray(), device: scores.device);
        return scores.index_fill(1, columns, double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>Removes every token scoring below the k-th best (ties with it survive).</summary>
    public static Tensor TopK(Tensor scores, int k)
    {
        using var scope = NewDisposeScope();
        k = (int)Math.Min(k, scores.shape[^1]);
        var threshold = scores.topk(k).values[.., ^1..];
        return scores.masked_fill(scores < threshold, double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>Keeps the most likely tokens up to cumulative probability top_p, and always the single best one.</summary>
    public static Tensor TopP(Tensor scores, double topP)
    {
        using var scope = NewDisposeScope();
        var (sorted, order) = scores.sort(dim: -1, descending: false);
        var cumulative = sorted.softmax(-1).cumsum(-1);
        var remove = cumulative <= 1 - topP;
        remove[.., ^1..] = tensor(false);
        var removeByToken = remove.scatter(1, order, remove);
        return scores.masked_fill(removeByToken, double.NegativeInfinity).MoveToOuterDisposeScope();
    }
}
