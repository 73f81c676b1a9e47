using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// y = x·Wᵀ + b with uninitialized storage: weights always come from a checkpoint, and TorchSharp's nn.Linear would spend
/// seconds on a random init that is overwritten at once. Parameter names are <c>weight</c> / <c>bias</c> as in PyTorch.
/// </summary>
public sealed class LinearLayer : BaseProjection
{
    public Parameter Weight { get; }
    public Parameter? Bias { get; }

    public LinearLayer(long inFeatures, long outFeatures, bool hasBias, ScalarType dtype, Device device, bool trainable = false)
        : this(empty([outFeatures, inFeatures], dtype, device), hasBias ? empty([outFeatures], dtype, device) : null, trainable)
    {
    }

    /// <summary>A layer whose weight (and bias) are the given tensors, typically row slices of a fused projection.</summary>
    public LinearLayer(Tensor weight, Tensor? bias, bool trainable = false) : base(nameof(LinearLayer))
    {
        Weight = new Parameter(weight, requires_grad: trainable);
        register_parameter("weight", Weight);
        if (bias is not null)
        {
            Bias = new Parameter(bias, requires_grad: trainable);
            register_parameter("bias", Bias);
        }
    }

    public override long InFeatures => Weight.shape[1];
    public override long OutFeatures => Weight.shape[0];
    public override Tensor? BiasTensor => Bias;
    public override Device WeightDevice => Weight.device;
    public override bool IsTrainable => Weight.requires_grad;

    public override Tensor DenseWeight(ScalarType dtype) => Weight.to(dtype);

    public override Tensor forward(Tensor input) => nn.functional.linear(input, Weight, Bias);
}
