using StyleStudio.Training.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// AdamW (PyTorch's formula, decoupled weight decay) whose parameters can live in one flat buffer per weight-decay
/// group, so a step, gradient zeroing, clipping and unscaling take a handful of kernels instead of ~10 per tensor.
/// TorchSharp's AdamW steps tensor by tensor from C#: for the ~400 adapter tensors of a LoRA run that is ~4,000 kernel
/// launches and tens of milliseconds of CPU time per step, during which the GPU waits (PyTorch avoids this with its
/// foreach/fused kernels, which TorchSharp does not expose).
/// Flattening re-points each parameter (and its gradient) at a slice of the group's buffer; autograd then accumulates
/// straight into the slices. Parameters that are views of other storage (full fine-tuning of fused q/k/v or gate/up
/// weights) must not be re-pointed: those runs pass <c>flatten: false</c> and step tensor by tensor.
/// </summary>
public sealed class FlatAdamW : IDisposable
{
    /// <summary>What one update touches: a flat group, or a single tensor when not flattening.</summary>
    sealed record Slot(Tensor Values, Tensor Gradient, Tensor ExpAvg, Tensor ExpAvgSq, double WeightDecay) : IDisposable
    {
        public void Dispose()
        {
            Values.Dispose();
            Gradient.Dispose();
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
        }
    }

    readonly List<Slot> slots = [];
    readonly double beta1, beta2, epsilon;
    long steps;

    public double LearningRate { get; set; }

    /// <param name="trainable">Parameters to optimize; matrices are decayed, vectors (norms, biases, DoRA magnitudes) are not.</param>
    public FlatAdamW(IReadOnlyList<Parameter> trainable, TrainingOptions options, bool flatten)
    {
        (LearningRate, beta1, beta2, epsilon) = (options.LearningRate, options.Beta1, options.Beta2, options.Epsilon);
        using var noGrad = no_grad();
        foreach (var group in trainable.GroupBy(p => (Decayed: p.dim() >= 2, p.dtype, Device: p.device.ToString())))
        {
            double decay = group.Key.Decayed ? options.WeightDecay : 0;
            if (flatten) slots.Add(Flatten(group.ToList(), decay));
            else slots.AddRange(group.Select(p => Single(p, decay)));
        }
    }

    static Slot Flatten(List<Parameter> parameters, double decay)
    {
        long total = parameters.Sum(p => p.numel());
        var values = empty(total, parameters[0].dtype, parameters[0].device).DetachFromDisposeScope();
        var gradient = zeros_like(values).DetachFromDisposeScope();
        long offset = 0;
        foreach (var parameter in parameters)
        {
            long count = parameter.numel();
            using var slice = values.narrow(0, offset, count).view(parameter.shape);
            slice.copy_(parameter);
            parameter.set_(slice);
            parameter.grad = gradient.narrow(0, offset, count).view(parameter.shape);
            offset += count;
        }
        return new Slot(values, gradient, zeros_like(values).DetachFromDisposeScope(), zeros_like(values).DetachFromDisposeScope(), decay);
    }

    static Slot Single(Parameter parameter, double decay)
    {
        parameter.grad ??= zeros_like(parameter);
        return new Slot(parameter.alias().DetachFromDisposeScope(), parameter.grad.alias().DetachFromDisposeScope(),
            zeros_like(parameter).DetachFromDisposeScope(), zeros_like(parameter).DetachFromDisposeScope(), decay);
    }

    /// <summary>The gradient buffers, one per update slot, in a fixed order (summed across data-parallel replicas).</summary>
    public IReadOnlyList<Tensor> Gradients => slots.Select(s => s.Gradient).ToList();

    public void ZeroGrad()
    {
        foreach (var slot in slots) slot.Gradient.zero_();
    }

    /// <summary>Divides all gradients by <paramref name="scale"/> (fp16 loss scaling).</summary>
    public void Unscale(double scale)
    {
        foreach (var slot in slots) slot.Gradient.mul_(1 / scale);
    }

    /// <summary>
    /// Scales the gradients down to a global L2 norm of at most <paramref name="maxNorm"/> (as clip_grad_norm_);
    /// returns the norm before clipping, infinite or NaN when a gradient is.
    /// </summary>
    public double ClipGradNorm(double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double norm = stack(slots.Select(s => s.Gradient.norm().to(ScalarType.Float32)).ToArray()).norm().item<float>();
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            foreach (var slot in slots) slot.Gradient.mul_(coefficient);
        return norm;
    }

    /// <summary>Elements updated per pass, bounding the temporary the square-root denominator needs (256 MB in fp32).</summary>
    const long UpdateChunk = 1L << 26;

    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        steps++;
        double correction1 = 1 - Math.Pow(beta1, steps), correction2 = 1 - Math.Pow(beta2, steps);
        foreach (var slot in slots)
        {
            if (slot.WeightDecay > 0) slot.Values.mul_(1 - LearningRate * slot.WeightDecay);
            slot.ExpAvg.mul_(beta1).add_(slot.Gradient, alpha: 1 - beta1);
            slot.ExpAvgSq.mul_(beta2).addcmul_(slot.Gradient, slot.Gradient, value: 1 - beta2);
            var values = slot.Values.view(-1);
            var expAvg = slot.ExpAvg.view(-1);
            var expAvgSq = slot.ExpAvgSq.view(-1);
            for (long start = 0; start < values.shape[0]; start += UpdateChunk)
            {
                using var chunkScope = NewDisposeScope();
                long length = Math.Min(UpdateChunk, values.shape[0] - start);
                var denominator = expAvgSq.narrow(0, start, length).sqrt().div_(Math.Sqrt(correction2)).add_(epsilon);
                values.narrow(0, start, length).addcdiv_(expAvg.narrow(0, start, length), denominator, value: -LearningRate / correction1);
            }
        }
    }

    /// <summary>Moments and step count, for an exact resume.</summary>
    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor> { ["steps"] = tensor(new[] { steps }) };
        for (int i = 0; i < slots.Count; i++)
        {
            tensors[$"exp_avg.{i}"] = slots[i].ExpAvg;
            tensors[$"exp_avg_sq.{i}"] = slots[i].ExpAvgSq;
        }
        SafetensorsWriter.Write(path, tensors);
    }

    public void Load(string path)
    {
        using var file = new SafetensorsFile(path);
        for (int i = 0; i < slots.Count; i++)
            foreach (var (name, destination) in new[] { ($"exp_avg.{i}", slots[i].ExpAvg), ($"exp_avg_sq.{i}", slots[i].ExpAvgSq) })
            {
                if (!file.Entries.TryGetValue(name, out var entry) || !entry.Shape.SequenceEqual(destination.shape))
                    throw new ModelLoadException(path, name, "the optimizer state does not fit these trainable parameters (different adapter settings?)");
                file.ReadInto(name, destination);
            }
        using var count = empty(1, ScalarType.Int64);
        file.ReadInto("steps", count);
        steps = count.item<long>();
    }

    public void Dispose() => slots.ForEach(s => s.Dispose());
}
