using System.Runtime.ExceptionServices;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// The copies of the model a run trains, one per device, each with its optimizer and gradient accumulator: data
/// parallelism (one copy is the ordinary single-device run). A step's micro-batches are dealt out in turn, each copy
/// runs its share on a thread of its own, their gradients are summed (<see cref="GradientReducer"/>), and every copy
/// then clips and steps alike — the same arithmetic on the same numbers — so the copies stay equal without ever
/// exchanging weights. Each micro-batch's loss is divided by the whole step's trained tokens, so the summed gradient is
/// the one a single device would form from all the step's micro-batches: the same loss curve as one device with the
/// same global batch.
/// </summary>
/// <remarks>
/// The sum runs once after the backward passes rather than overlapped with them, as PyTorch's DDP does: with forward
/// and backward replayed from CUDA graphs there is no point between layers to start it from, and adapter gradients are
/// small (Qwen2.5-7B at rank 64: 320 MB in bf16, about a millisecond over NVLink against ~100 ms of compute a
/// micro-batch).
/// </remarks>
sealed class Replicas : IDisposable
{
    sealed record Replica(CausalLM Model, FlatAdamW Optimizer, GradientAccumulator Accumulator);

    readonly List<Replica> all = [];
    readonly GradientReducer? reducer;

    public Replicas(IReadOnlyList<CausalLM> models, TrainingOptions options)
    {
        if (models.Count == 0) throw new ArgumentException("no model to train", nameof(models));
        var trainable = models.Select(m => m.parameters().Where(p => p.requires_grad).ToList()).ToList();
        if (trainable[0].Count == 0)
            throw new InvalidOperationException("nothing to train: add adapters or unfreeze parameters first");
        for (int r = 1; r < models.Count; r++)
            if (trainable[r].Count != trainable[0].Count || trainable[r].Zip(trainable[0]).Any(p => !p.First.shape.SequenceEqual(p.Second.shape)))
                throw new ArgumentException($"the copy of the model on {models[r].Device} does not train the same tensors as the one on {models[0].Device}", nameof(models));
        using (no_grad())
            for (int r = 1; r < models.Count; r++)   // every copy starts from the first one's weights
                foreach (var (mine, first) in trainable[r].Zip(trainable[0]))
                    mine.copy_(first);

        // Base projections may be views of fused buffers, which must keep their storage: step those tensor by tensor.
        bool trainsProjections = models[0].Model.Layers.Any(l =>
            l.SelfAttention.BaseLayers.Values.Concat(l.Mlp.BaseLayers.Values).Any(b => b.IsTrainable));
        try
        {
            for (int r = 0; r < models.Count; r++)
            {
                using var device = CudaDevice.Use(models[r].Device);
                all.Add(new Replica(models[r], new FlatAdamW(trainable[r], options, flatten: !trainsProjections),
                    new GradientAccumulator(models[r], options)));
            }
            reducer = models.Count > 1 ? GradientReducer.For(models.Select(m => m.Device).ToList()) : null;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Count => all.Count;

    /// <summary>The first copy: the one saved, evaluated and reported.</summary>
    public CausalLM Model => all[0].Model;

    public FlatAdamW Optimizer => all[0].Optimizer;

    /// <summary>How gradients are summed across the copies; null for one.</summary>
    public string? Reduction => reducer?.Description;

    public GraphUse Use
    {
        get
        {
            var uses = all.Select(r => r.Accumulator.Use).ToList();
            return new GraphUse(uses.Select(u => u.Off).FirstOrDefault(o => o is not null), uses.Max(u => u.Shapes), uses.Sum(u => u.Replays));
        }
    }

    public double LearningRate
    {
        set => all.ForEach(r => r.Optimizer.LearningRate = value);
    }

    public void ZeroGrad() => all.ForEach(r => r.Optimizer.ZeroGrad());

    /// <summary>Forward and backward of one optimizer step's micro-batches, spread over the copies, then the gradients
    /// summed across them. Returns the step's mean loss over its trained tokens (before loss scaling).</summary>
    public double Run(IReadOnlyList<IReadOnlyList<PackedRow>> microBatches, long pad, double scale)
    {
        int stepTokens = Math.Max(1, microBatches.Sum(b => b.Sum(e => e.TrainedTokens)));
        if (all.Count == 1) return all[0].Accumulator.Run(microBatches, pad, scale, stepTokens);

        var losses = new double[all.Count];
        try
        {
            Parallel.For(0, all.Count, new ParallelOptions { MaxDegreeOfParallelism = all.Count }, r =>
            {
                var share = microBatches.Where((_, index) => index % all.Count == r).ToList();
                using var device = CudaDevice.Use(all[r].Model.Device);
                losses[r] = all[r].Accumulator.Run(share, pad, scale, stepTokens);
            });
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);   // a divergence or out-of-memory keeps its own type
        }
        var gradients = all.Select(r => r.Optimizer.Gradients).ToList();
        for (int slot = 0; slot < gradients[0].Count; slot++)
            reducer!.AllReduceSum(gradients.Select(g => g[slot]).ToList());
        return losses.Sum();
    }

    /// <summary>Divides all gradients by <paramref name="scale"/> (fp16 loss scaling).</summary>
    public void Unscale(double scale) => all.ForEach(r => r.Optimizer.Unscale(scale));

    /// <summary>Clips every copy's gradients alike; returns the norm before clipping (the same on every copy).</summary>
    public double ClipGradNorm(double maxNorm) => all.Select(r => r.Optimizer.ClipGradNorm(maxNorm)).ToList()[0];

    public void Step() => all.ForEach(r => r.Optimizer.Step());

    /// <summary>Restores every copy from a checkpoint; returns where to continue.</summary>
    public TrainerPosition Load(string checkpoint) => all.Select(r => TrainingCheckpoint.Load(checkpoint, r.Model, r.Optimizer)).ToList()[0];

    /// <summary>The largest memory in use over the copies' devices (the one that runs out first).</summary>
    public long? MemoryInUse() => all.Select(r => r.Model.Device).DistinctBy(d => d.ToString()).Select(ComputeDevice.MemoryInUse).Max();

    public void Dispose()
    {
        foreach (var replica in all)
        {
            replica.Accumulator.Dispose();
            replica.Optimizer.Dispose();
        }
        all.Clear();
        reducer?.Dispose();
    }
}
