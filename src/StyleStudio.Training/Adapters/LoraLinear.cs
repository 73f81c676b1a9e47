using StyleStudio.Training.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Adapters;

/// <summary>
/// A linear layer with a low-rank update: y = base(x) + s·B·A·dropout(x), or with DoRA
/// y = b + (m / ‖W + s·B·A‖)·(W + s·B·A)·x, the row norm taken without gradient as in the DoRA paper and PEFT.
/// Adapter weights are fp32 and trainable; the base stays frozen in its own dtype (bf16 on GPU), dense or NF4 (QLoRA).
/// The update is computed in the base's output dtype, as under torch.autocast in LLaMA-Factory's bf16 training: fp32
/// master weights, bf16 matmuls, and no fp32 copy of every layer input kept for backward. Parameter names follow PEFT:
/// <c>base_layer</c>, <c>lora_A</c>, <c>lora_B</c>, <c>lora_magnitude_vector</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>, IProjectionAdapter
{
    readonly double dropout;
    Tensor? mergedScale; // DoRA: m / ‖W + ΔW‖ at merge time, to undo the merge

    public BaseProjection BaseLayer { get; }
    public LinearLayer LoraA { get; }
    public LinearLayer LoraB { get; }
    /// <summary>DoRA's per-output magnitude m; null for plain LoRA.</summary>
    public Parameter? Magnitude { get; }
    public double Scaling { get; }
    /// <summary>Dropout on the adapter's input while training (0 = none).</summary>
    public double Dropout => dropout;
    /// <summary>True while the update is folded into the base weight (forward then runs the base alone).</summary>
    public bool Merged { get; private set; }

    public LoraLinear(BaseProjection baseLayer, LoraConfig config) : base(nameof(LoraLinear))
    {
        BaseLayer = baseLayer;
        Scaling = config.Scaling;
        dropout = config.Dropout;
        var device = baseLayer.WeightDevice;
        long outFeatures = baseLayer.OutFeatures, inFeatures = baseLayer.InFeatures;
        LoraA = new LinearLayer(inFeatures, config.Rank, hasBias: false, ScalarType.Float32, device, trainable: true);
        LoraB = new LinearLayer(config.Rank, outFeatures, hasBias: false, ScalarType.Float32, device, trainable: true);
        register_module("base_layer", BaseLayer);
        register_module("lora_A", LoraA);
        register_module("lora_B", LoraB);
        if (config.UseDora)
        {
            Magnitude = new Parameter(empty([outFeatures], ScalarType.Float32, device), requires_grad: true);
            register_parameter("lora_magnitude_vector", Magnitude);
        }
    }

    /// <summary>
    /// PEFT's default start: A ~ U(±1/√in) (Kaiming uniform, a = √5), B = 0, so training starts from the base model.
    /// A is drawn on the CPU from <paramref name="cpuGenerator"/> (TorchSharp generators are CPU-only), which also makes the
    /// initialization the same on every device.
    /// </summary>
    public void InitializeForTraining(Generator cpuGenerator)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double bound = 1 / Math.Sqrt(LoraA.Weight.shape[1]);
        LoraA.Weight.copy_(empty(LoraA.Weight.shape, ScalarType.Float32).uniform_(-bound, bound, cpuGenerator));
        LoraB.Weight.zero_();
        InitializeMagnitude();
    }

    /// <summary>DoRA starts with m = ‖W + s·B·A‖ per output row, so the adapted layer initially equals the LoRA one.</summary>
    public void InitializeMagnitude()
    {
        if (Magnitude is null) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Magnitude.copy_(RowNorm(BaseLayer.DenseWeight(ScalarType.Float32) + DeltaWeight()));
    }

    public override Tensor forward(Tensor input) => AddUpdate(input, BaseLayer.forward(input));

    /// <summary>
    /// <paramref name="baseOutput"/> (this layer's base projection of <paramref name="input"/>, perhaps computed fused
    /// with its neighbours) plus the adapter's contribution.
    /// </summary>
    public Tensor AddUpdate(Tensor input, Tensor baseOutput)
    {
        if (Merged) return baseOutput.alias();
        using var scope = NewDisposeScope();
        var dtype = baseOutput.dtype;
        var x = input.to(dtype);
        bool dropping = dropout > 0 && training;
        if (dropping) x = nn.functional.dropout(x, dropout, training: true);
        var down = nn.functional.linear(x, LoraA.Weight.to(dtype));                  // [..., r]
        var up = (LoraB.Weight * Scaling).to(dtype);                                  // scaling folded into the small matrix
        if (Magnitude is null)
        {
            // One GEMM adds the update onto the base output (addmm), rather than a matmul plus an add over [tokens, out].
            var rows = down.reshape(-1, down.shape[^1]);
            return addmm(baseOutput.reshape(-1, baseOutput.shape[^1]), rows, up.t(), beta: 1, alpha: 1).view(baseOutput.shape).MoveToOuterDisposeScope();
        }
        var update = nn.functional.linear(down, up);

        Tensor norm;
        using (no_grad())
            norm = RowNorm(BaseLayer.DenseWeight(ScalarType.Float32) + DeltaWeight());
        var scale = (Magnitude / norm).to(dtype);                    // [out]
        // W·x without bias: the base output minus its bias, or — when dropout changed x — W·dropout(x) afresh (as PEFT does).
        var projected = dropping
            ? nn.functional.linear(x, BaseLayer.DenseWeight(dtype))
            : BaseLayer.BiasTensor is { } bias ? baseOutput - bias.to(dtype) : baseOutput;
        // b + scale·(W + s·B·A)·x = baseOutput + (scale − 1)·W·x + scale·s·B·A·x.
        return (baseOutput + (scale - 1) * projected + scale * update).MoveToOuterDisposeScope();
    }

    /// <summary>s·B·A in fp32 ([out, in]).</summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        return (LoraB.Weight.matmul(LoraA.Weight) * Scaling).MoveToOuterDisposeScope();
    }

    /// <summary>Folds the update into the base weight, so inference runs at base speed (and the compiled decode step applies).</summary>
    public void Merge()
    {
        if (Merged) return;
        var dense = DenseBase();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = dense.Weight.to(ScalarType.Float32);
        var merged = weight + DeltaWeight();
        if (Magnitude is not null)
        {
            var scale = (Magnitude / RowNorm(merged)).unsqueeze(1);
            mergedScale = scale.DetachFromDisposeScope();
            merged = merged * scale;
        }
        dense.Weight.copy_(merged);
        Merged = true;
    }

    /// <summary>Restores the base weight (up to the rounding of its dtype).</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        var dense = DenseBase();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = dense.Weight.to(ScalarType.Float32);
        if (mergedScale is not null)
        {
            weight = weight / mergedScale;
            mergedScale.Dispose();
            mergedScale = null;
        }
        dense.Weight.copy_(weight - DeltaWeight());
        Merged = false;
    }

    LinearLayer DenseBase() => BaseLayer as LinearLayer ?? throw new NotSupportedException(
        "an adapter cannot be merged into a 4-bit (QLoRA) base; load the base model unquantized and merge into that");

    /// <summary>Frees the adapter's own weights, leaving the base layer it wraps (and its model) untouched.</summary>
    public void ReleaseWeights()
    {
        LoraA.Dispose();
        LoraB.Dispose();
        Magnitude?.Dispose();
        mergedScale?.Dispose();
    }

    /// <summary>L2 norm of each output row ([out, in] → [out]).</summary>
    static Tensor RowNorm(Tensor weight) => weight.norm(1);
}
