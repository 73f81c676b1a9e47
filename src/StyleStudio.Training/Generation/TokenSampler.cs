using static TorchSharp.torch;

namespace StyleStudio.Training.Generation;

/// <summary>
/// Draws tokens by inverse transform: one uniform number per row and step, all drawn up front from a CPU generator seeded
/// for this generation, mapped through the cumulative distribution. The same seed gives the same tokens whatever else runs
/// on the GPU, and nothing draws from libtorch's process-wide CUDA generator (whose state a CUDA graph capture claims).
/// torch.multinomial would need that generator on CUDA, since TorchSharp's generators are CPU-only.
/// </summary>
public sealed class TokenSampler : IDisposable
{
    readonly Tensor uniforms;   // [steps, B] on the device

    public TokenSampler(long seed, int steps, int batch, Device device)
    {
        using var generator = new Generator((ulong)seed);
        using var drawn = rand([steps, batch], generator: generator);
        uniforms = empty([steps, batch], device: device).copy_(drawn).DetachFromDisposeScope();
    }

    /// <summary>Samples one token per row of <paramref name="probabilities"/> [B, V] with step <paramref name="step"/>'s numbers.</summary>
    public Tensor Draw(Tensor probabilities, int step) => Draw(probabilities, uniforms[step]);

    /// <summary>
    /// The first token whose cumulative probability exceeds u·total, u ∈ [0, 1): token i is chosen with probability p_i,
    /// and a token of probability 0 never (its cumulative value equals its predecessor's).
    /// </summary>
    internal static Tensor Draw(Tensor probabilities, Tensor uniform)
    {
        using var scope = NewDisposeScope();
        var cumulative = probabilities.to(ScalarType.Float32).cumsum(-1);
        var target = (uniform * cumulative[.., ^1]).unsqueeze(1);
        var chosen = searchsorted(cumulative, target, right: true).squeeze(1);
        return chosen.clamp_max(probabilities.shape[^1] - 1).MoveToOuterDisposeScope();   // guards u·total rounding up to total
    }

    public void Dispose() => uniforms.Dispose();
}
