using StyleStudio.Training.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Adapters;

/// <summary>
/// A linear layer with a low-rank update: y = base(x) + s·B·A·dropout(x), or with DoRA
/// y = b + (m / ‖W + s·B·A‖)·(W + s·B·A)·x, the row norm taken without gradient as in the DoRA paper and PEFT.
/// Adapter weights are fp32 and trainable; the base stays frozen in its own dtype (bf16 on GPU). Parameter names follow
/// PEFT: <c>base_layer</c>, <c>lora_A</c>, <c>lora_B</c>, <c>lora_magnitude_vector</c>.
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    readonly double dropout;
    Tensor? mergedScale; // DoRA: m / ‖W + ΔW‖ at merge time, to undo the merge

    public LinearLayer BaseLayer { get; }
    public LinearLayer LoraA { get; }
    public LinearLayer LoraB { get; }
    /// <summary>DoRA's per-output magnitude m; null for plain LoRA.</summary>
    public Parameter? Magnitude { get; }
    public double Scaling { get; }
    /// <summary>True while the update is folded into the base weight (forward then runs the base alone).</summary>
    public bool Merged { get; private set; }

    public LoraLinear(LinearLayer baseLayer, LoraConfig config) : base(nameof(LoraLinear))
    {
        BaseLayer = baseLayer;
        Scaling = config.Scaling;
        dropout = config.Dropout;
        var device = baseLayer.Weight.device;
        long outFeatures = baseLayer.Weight.shape[0], inFeatures = baseLayer.Weight.shape[1];
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
        Magnitude.copy_(RowNorm(BaseLayer.Weight.to(ScalarType.Float32) + DeltaWeight()));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var result = BaseLayer.forward(input);
        if (Merged) return result.MoveToOuterDisposeScope();

        var x = input.to(ScalarType.Float32);
        if (dropout > 0 && training) x = nn.functional.dropout(x, dropout, training: true);
        var update = LoraB.forward(LoraA.forward(x)) * Scaling;
        if (Magnitude is null)
            return (result + update.to(result.dtype)).MoveToOuterDisposeScope();

        var weight = BaseLayer.Weight.to(ScalarType.Float32);
        Tensor norm;
        using (no_grad())
            norm = RowNorm(weight + DeltaWeight());
        var scale = Magnitude / norm;                                 // [out]
        // result already holds W·x + b, so add (scale − 1)·W·x + scale·s·B·A·x to reach b + scale·(W + s·B·A)·x.
        var adapted = (scale - 1) * nn.functional.linear(x, weight) + scale * update;
        return (result + adapted.to(result.dtype)).MoveToOuterDisposeScope();
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
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = BaseLayer.Weight.to(ScalarType.Float32);
        var merged = weight + DeltaWeight();
        if (Magnitude is not null)
        {
            var scale = (Magnitude / RowNorm(merged)).unsqueeze(1);
            mergedScale = scale.DetachFromDisposeScope();
            merged = merged * scale;
        }
        BaseLayer.Weight.copy_(merged);
        Merged = true;
    }

    /// <summary>Restores the base weight (up to the rounding of its dtype).</summary>
    public void Unmerge()
    {
        if (!Merged) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var weight = BaseLayer.Weight.to(ScalarType.Float32);
        if (mergedScale is not null)
        {
            weight = weight / mergedScale;
            mergedScale.Dispose();
            mergedScale = null;
        }
        BaseLayer.Weight.copy_(weight - DeltaWeight());
        Merged = false;
    }

    /// <summary>L2 norm of each output row ([out, in] → [out]).</summary>
    static Tensor RowNorm(Tensor weight) => weight.norm(1);
}
