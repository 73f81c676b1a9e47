using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// Root-mean-square norm over the last dimension, computed in fp32 and cast back before the weight is applied — the
/// exact order Hugging Face uses, which matters for bf16 parity. (TorchSharp 0.107 has no RMSNorm.)
/// </summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly double eps;

    public Parameter Weight { get; }

    public RmsNorm(long size, double eps, ScalarType dtype, Device device) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        Weight = new Parameter(empty([size], dtype, device), requires_grad: false);
        register_parameter("weight", Weight);
    }

    public override Tensor forward(Tensor input)
    {
        // Training through a frozen weight takes the fused kernels where they run (see RmsNormKernel).
        if (training && is_grad_enabled() && input.requires_grad && RmsNormKernel.Serves(input, Weight))
            return RmsNormKernel.Apply(input, Weight, eps);
        using var scope = NewDisposeScope();
        var x = input.to(ScalarType.Float32);
        var normalized = x * (x.pow(2).mean([-1], keepdim: true) + eps).rsqrt();
        return (Weight * normalized.to(input.dtype)).MoveToOuterDisposeScope();
    }
}
