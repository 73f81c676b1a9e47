using StyleStudio.Training.Models.Layers;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Quantization;

/// <summary>
/// A frozen base projection stored in NF4 (QLoRA): y = x·dequant(W)ᵀ + b, the weight dequantized to the input's dtype
/// for each use and dropped after it. Under autograd, the backward dequantizes again instead of keeping the dense
/// weight alive between forward and backward — otherwise every layer's bf16 weight would stay resident and 4-bit
/// storage would save nothing while training.
/// </summary>
public sealed class Nf4Linear : BaseProjection
{
    readonly Tensor? bias;

    public Nf4Tensor Quantized { get; }

    /// <summary>Quantizes <paramref name="weight"/> ([out, in], any device) onto <paramref name="device"/>.</summary>
    public Nf4Linear(Tensor weight, Tensor? bias, Device device) : base(nameof(Nf4Linear))
    {
        using (var onDevice = weight.to(device))
            Quantized = Nf4.Quantize(onDevice);
        this.bias = bias?.to(device).detach().DetachFromDisposeScope();
    }

    public override long InFeatures => Quantized.Shape[1];
    public override long OutFeatures => Quantized.Shape[0];
    public override Tensor? BiasTensor => bias;
    public override Device WeightDevice => Quantized.Packed.device;
    public override bool IsTrainable => false;

    public override Tensor DenseWeight(ScalarType dtype) => Nf4.Dequantize(Quantized, dtype);

    public override Tensor forward(Tensor input)
    {
        if (is_grad_enabled() && input.requires_grad)
            return LeanFunction.Apply<Nf4LinearFunction>(input, this);
        using var scope = NewDisposeScope();
        return nn.functional.linear(input, DenseWeight(input.dtype), bias?.to(input.dtype)).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Quantized.Dispose();
            bias?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>The autograd node: keeps only a reference to the layer, and rebuilds the dense weight for the input gradient.</summary>
    sealed class Nf4LinearFunction : autograd.SingleTensorFunction<Nf4LinearFunction>
    {
        const string LayerKey = "layer";

        public override string Name => nameof(Nf4LinearFunction);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (input, layer) = ((Tensor)vars[0], (Nf4Linear)vars[1]);
            ctx.save_data(LayerKey, layer);
            using var scope = NewDisposeScope();
            return nn.functional.linear(input, layer.DenseWeight(input.dtype), layer.bias?.to(input.dtype)).MoveToOuterDisposeScope();
        }

        // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            BackwardFailures.Guard(gradOutput, inputs: 2, () =>
            {
                var layer = (Nf4Linear)ctx.get_data(LayerKey);
                using var scope = NewDisposeScope();
                var gradInput = gradOutput.matmul(layer.DenseWeight(gradOutput.dtype)).MoveToOuterDisposeScope();
                return GradientHandoff.Return(gradOutput, gradInput, null);
            });
    }
}
