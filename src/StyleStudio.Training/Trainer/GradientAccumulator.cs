using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>How a run issued its forward and backward passes.</summary>
/// <param name="Off">Why CUDA graphs were not used; null when they were.</param>
/// <param name="Shapes">Micro-batch shapes captured into graphs.</param>
/// <param name="Replays">Micro-batches run from a graph.</param>
public sealed record GraphUse(string? Off, int Shapes, long Replays)
{
    /// <summary>One line for a run's summary on a GPU; null where there is nothing to say (no GPU).</summary>
    public string? Describe() => Off switch
    {
        null => $"forward and backward replayed from CUDA graphs: {Replays} micro-batches, {Shapes} shape{(Shapes == 1 ? "" : "s")}",
        MicroBatchGraphs.NotOnCuda => null,
        _ => $"forward and backward issued kernel by kernel (no CUDA graphs: {Off})",
    };
}

/// <summary>
/// Forward and backward of each micro-batch of one optimizer step, accumulating gradients into the trainable
/// parameters' gradient buffers: eagerly, or replayed from CUDA graphs where the run allows (see
/// <see cref="MicroBatchGraphs"/>). A micro-batch's loss is its token sum over the whole step's trained tokens (so
/// micro-batches weigh by their tokens); the backward sees it times the fp16 loss scale. Both factors are device scalars
/// set per step, which a replayed graph reads, and they apply to the loss rather than to each token's gradient, so that
/// fp16 gradients are formed at their unscaled size before the loss scale lifts them. The step's loss is read back once, after all
/// micro-batches, so the device is never made to wait in between.
/// </summary>
sealed class GradientAccumulator : IDisposable
{
    readonly CausalLM model;
    readonly int batchSize;
    readonly Tensor total, tokenShare, lossScale;
    readonly MicroBatchGraphs? graphs;
    readonly string? graphsOff;

    public GradientAccumulator(CausalLM model, TrainingOptions options)
    {
        this.model = model;
        batchSize = options.BatchSize;
        total = zeros([], ScalarType.Float32, model.Device).DetachFromDisposeScope();
        tokenShare = ones([], ScalarType.Float32, model.Device).DetachFromDisposeScope();
        lossScale = ones([], ScalarType.Float32, model.Device).DetachFromDisposeScope();
        graphsOff = MicroBatchGraphs.Unsupported(model, options.CudaGraphs);
        graphs = graphsOff is null ? new MicroBatchGraphs(model.Device, Step) : null;
    }

    public GraphUse Use => new(graphsOff ?? graphs?.Failure, graphs?.Captured ?? 0, graphs?.Replays ?? 0);

    /// <param name="stepTokens">The whole step's trained tokens: with data parallelism, other replicas' micro-batches' too.</param>
    /// <returns>These micro-batches' share of the step's mean loss over its trained tokens (before loss scaling).</returns>
    public double Run(IReadOnlyList<IReadOnlyList<PackedRow>> microBatches, long pad, double scale, int stepTokens)
    {
        total.zero_();
        tokenShare.fill_(1.0 / stepTokens);
        lossScale.fill_(scale);
        foreach (var rows in microBatches)
        {
            bool replaying = graphs is { Failure: null };
            var batch = MicroBatch.Build(rows, pad, bucketRows: replaying ? batchSize : null);
            if (replaying)
                graphs!.Run(batch);
            else
                using (CudaGraph.HoldOffCaptures())     // dropout draws from the CUDA generator that captures claim
                using (var inputs = MicroBatchTensors.Upload(batch, model.Device))
                    Step(inputs);
        }
        return total.item<float>();
    }

    void Step(MicroBatchTensors inputs)
    {
        using var scope = NewDisposeScope();
        var loss = HiddenStateLoss.Weighted(model.ForwardHidden(inputs.ToForwardInput()), model.OutputWeight,
            inputs.LossRows, inputs.LossTargets, inputs.LossWeights).mul(tokenShare);
        loss.mul(lossScale).backward();
        BackwardFailures.ThrowIfAny();   // e.g. out of memory in a layer's recomputation
        total.add_(loss.detach());
    }

    public void Dispose()
    {
        graphs?.Dispose();
        total.Dispose();
        tokenShare.Dispose();
        lossScale.Dispose();
    }
}
