using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// A linear projection of the base model, stored densely (<see cref="LinearLayer"/>) or quantized
/// (<see cref="Quantization.Nf4Linear"/>). Adapters wrap either through this common face.
/// </summary>
public abstract class BaseProjection(string name) : nn.Module<Tensor, Tensor>(name)
{
    public abstract long InFeatures { get; }
    public abstract long OutFeatures { get; }
    public abstract Tensor? BiasTensor { get; }
    public abstract Device WeightDevice { get; }
    /// <summary>True when the projection's own weights receive gradients (full or freeze fine-tuning).</summary>
    public abstract bool IsTrainable { get; }

    /// <summary>The weight as a dense [out, in] tensor in <paramref name="dtype"/> (dequantized when stored in 4 bits).</summary>
    public abstract Tensor DenseWeight(ScalarType dtype);
}
