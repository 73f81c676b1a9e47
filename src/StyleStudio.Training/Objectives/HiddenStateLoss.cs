using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Objectives;

/// <summary>
/// The same summed next-token cross-entropy as <see cref="CausalLmLoss.Sum"/>, computed from the final hidden states and
/// the output embedding in chunks of rows, and only for positions that have a label. All logits of a batch never exist
/// at once: for 8 × 512 tokens and a 152k vocabulary they would take 1.2 GB in bf16 plus 2.5 GB per fp32 copy, the
/// largest single item of a small model's training memory. Each chunk's gradient is formed right away (softmax minus
/// one-hot), so the backward is a multiplication. Prompt positions (label -100) cost nothing here.
/// </summary>
public static class HiddenStateLoss
{
    /// <summary>Default upper bound on one chunk's fp32 logits.</summary>
    public const long DefaultChunkBytes = 256L << 20;

    /// <param name="hidden">[B, T, hidden] final normed hidden states.</param>
    /// <param name="outputWeight">[vocab, hidden] output embedding.</param>
    /// <param name="labels">[B, T] int64, -100 where nothing is learned.</param>
    /// <param name="chunkBytes">Upper bound on one chunk's fp32 logits.</param>
    /// <returns>Scalar fp32 sum of token losses over labelled positions.</returns>
    public static Tensor Sum(Tensor hidden, Tensor outputWeight, Tensor labels, long chunkBytes = DefaultChunkBytes)
    {
        using var scope = NewDisposeScope();
        // Position t of a row predicts the label at t + 1: shift the labels left, the last position predicting nothing.
        var shifted = cat([labels[.., 1..], full(labels.shape[0], 1, CausalLmLoss.Ignore, ScalarType.Int64, labels.device)], 1).reshape(-1);
        var rows = shifted.ne(CausalLmLoss.Ignore).nonzero().squeeze(1);
        var targets = shifted.index_select(0, rows);
        var weights = ones(rows.shape[0], ScalarType.Float32, hidden.device);
        return Weighted(hidden, outputWeight, rows, targets, weights, chunkBytes).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The weighted sum of token losses at positions chosen beforehand: no step depends on the labels' values, so the
    /// shapes are fixed by the arguments' and the work can be captured into a CUDA graph (training picks the positions
    /// on the host and pads them to a fixed count with zero weights).
    /// </summary>
    /// <param name="hidden">[B, T, hidden] final normed hidden states.</param>
    /// <param name="outputWeight">[vocab, hidden] output embedding.</param>
    /// <param name="rows">[R] int64 positions into the flattened [B × T] hidden states.</param>
    /// <param name="targets">[R] int64 the token each position predicts.</param>
    /// <param name="weights">[R] fp32 each position's weight (0 for padding entries).</param>
    /// <returns>Scalar fp32 Σ weight × token loss.</returns>
    public static Tensor Weighted(Tensor hidden, Tensor outputWeight, Tensor rows, Tensor targets, Tensor weights,
        long chunkBytes = DefaultChunkBytes)
    {
        using var scope = NewDisposeScope();
        var selected = hidden.reshape(-1, hidden.shape[^1]).index_select(0, rows);
        bool needsGradients = is_grad_enabled() && (selected.requires_grad || outputWeight.requires_grad);
        long chunk = ChunkRows(outputWeight, chunkBytes);
        var loss = needsGradients
            ? LinearCrossEntropyFunction.apply(selected, outputWeight, targets, weights, chunk)
            : LossOnly(selected, outputWeight, targets, weights, chunk);
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Rows a chunk holds: its fp32 logits within <paramref name="chunkBytes"/> (where the kernel serves, only the
    /// model-dtype logits exist, a half or a quarter of that).</summary>
    static long ChunkRows(Tensor outputWeight, long chunkBytes) => Math.Max(1, chunkBytes / (outputWeight.shape[0] * sizeof(float)));

    static Tensor LossOnly(Tensor hidden, Tensor weight, Tensor targets, Tensor weights, long chunk)
    {
        var total = zeros([], ScalarType.Float32, hidden.device);
        long count = hidden.shape[0];
        for (long start = 0; start < count; start += chunk)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(chunk, count - start);
            var raw = nn.functional.linear(hidden.narrow(0, start, length), weight);
            if (CrossEntropyKernel.Serves(raw))
            {
                total.add_(CrossEntropyKernel.LossAndGradientInPlace(raw, targets.narrow(0, start, length), weights.narrow(0, start, length)).sum());
                continue;
            }
            var logits = raw.to(ScalarType.Float32);
            var picked = logits.gather(1, targets.narrow(0, start, length).unsqueeze(1)).squeeze(1);
            total.add_(((logits.logsumexp(1) - picked) * weights.narrow(0, start, length)).sum());
        }
        return total;
    }

    /// <summary>
    /// Forward computes the loss and both gradients chunk by chunk; backward scales them by the incoming gradient.
    /// The gradients live between the two (hidden: one row per labelled token; weight: only when it is trained).
    /// </summary>
    sealed class LinearCrossEntropyFunction : autograd.SingleTensorFunction<LinearCrossEntropyFunction>
    {
        const string GradientsKey = "gradients";

        sealed record Gradients(Tensor Hidden, Tensor? Weight);

        public override string Name => nameof(LinearCrossEntropyFunction);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (hidden, weight, targets, weights, chunk) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], (long)vars[4]);
            var total = zeros([], ScalarType.Float32, hidden.device);
            var gradHidden = empty_like(hidden).DetachFromDisposeScope();
            var gradWeight = weight.requires_grad ? zeros(weight.shape, ScalarType.Float32, weight.device).DetachFromDisposeScope() : null;
            long count = hidden.shape[0];
            for (long start = 0; start < count; start += chunk)
            {
                using var scope = NewDisposeScope();
                long length = Math.Min(chunk, count - start);
                var rows = hidden.narrow(0, start, length);
                var chunkTargets = targets.narrow(0, start, length).unsqueeze(1);
                var chunkWeights = weights.narrow(0, start, length).unsqueeze(1);
                var raw = nn.functional.linear(rows, weight);
                Tensor gradLogits;
                if (CrossEntropyKernel.Serves(raw))
                {
                    total.add_(CrossEntropyKernel.LossAndGradientInPlace(raw, chunkTargets.squeeze(1), chunkWeights.squeeze(1)).sum());
                    gradLogits = raw.to(hidden.dtype);
                }
                else
                {
                    var logits = raw.to(ScalarType.Float32);
                    raw.Dispose();
                    var picked = logits.gather(1, chunkTargets);
                    // Softmax built in place over the fp32 logits (torch's logsumexp would allocate another copy of them).
                    var max = logits.amax([1], keepdim: true);
                    var sums = logits.sub_(max).exp_().sum(1, keepdim: true);
                    total.add_(((sums.log() + max - picked) * chunkWeights).sum());
                    // d(Σ weight × −log softmax[target]) / d logits = weight × (softmax − one-hot); the weight rides on the
                    // normalising division (sums / 0 = ∞ gives padding entries 0) so the logits are not passed over once more.
                    gradLogits = logits.div_(sums.div(chunkWeights)).scatter_add_(1, chunkTargets, chunkWeights.neg())
                        .to(hidden.dtype);
                }
                gradHidden.narrow(0, start, length).copy_(gradLogits.matmul(weight));
                gradWeight?.add_(gradLogits.t().matmul(rows));
            }
            ctx.save_data(GradientsKey, new Gradients(gradHidden, gradWeight));
            return total;
        }

        // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            BackwardFailures.Guard(gradOutput, inputs: 5, () =>
            {
                var gradients = (Gradients)ctx.get_data(GradientsKey);
                using (var scale = gradOutput.to(gradients.Hidden.dtype))
                    gradients.Hidden.mul_(scale);
                var weight = gradients.Weight?.mul_(gradOutput).to(gradients.Hidden.dtype);
                gradients.Weight?.Dispose();
                return GradientHandoff.Return(gradOutput, gradients.Hidden, weight, null, null, null);
            });
    }
}
