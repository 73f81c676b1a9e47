using System.Numerics;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// Rotary position embedding tables (default, linear and Llama 3 frequency scaling), computed in fp32 exactly as
/// transformers does and grown on demand, so decoding gathers rows instead of recomputing cos/sin every step.
/// One model serves concurrent generations: tables are immutable once published, growth builds a larger set under a
/// lock and swaps it in, and superseded sets stay alive (another thread may be reading them) until the model is disposed
/// — growth doubles, so they add at most the size of the current set.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    /// <summary>cos, sin and sin with its first half negated (for the compiled step), [N, D] fp32 each.</summary>
    sealed record Tables(Tensor Cos, Tensor Sin, Tensor SignedSin) : IDisposable
    {
        public long Length => Cos.shape[0];

        public void Dispose()
        {
            Cos.Dispose();
            Sin.Dispose();
            SignedSin.Dispose();
        }
    }

    readonly Tensor inverseFrequencies; // [D/2] fp32
    readonly Device device;
    readonly Lock growth = new();
    readonly List<Tables> superseded = [];
    volatile Tables? current;

    public RotaryEmbedding(RopeScaling rope, int headDim, Device device)
    {
        this.device = device;
        using var scope = NewDisposeScope();
        var exponents = arange(0, headDim, 2, ScalarType.Int64).to(ScalarType.Float32) / headDim;
        var frequencies = 1.0f / full([headDim / 2], rope.Theta, ScalarType.Float32).pow(exponents);
        frequencies = rope.Type switch
        {
            "linear" => frequencies / rope.Factor,
            "llama3" => Llama3Scaled(frequencies, rope),
            _ => frequencies,
        };
        inverseFrequencies = frequencies.to(device).DetachFromDisposeScope();
    }

    /// <summary>Llama 3.1's long-context scaling: slow frequencies divided by the factor, fast ones kept, a blend between.</summary>
    static Tensor Llama3Scaled(Tensor frequencies, RopeScaling rope)
    {
        double lowFreqWavelength = rope.OriginalMaxPositions / rope.LowFreqFactor;
        double highFreqWavelength = rope.OriginalMaxPositions / rope.HighFreqFactor;
        var wavelength = 2 * Math.PI / frequencies;
        var scaled = where(wavelength > lowFreqWavelength, frequencies / rope.Factor, frequencies);
        var smooth = (rope.OriginalMaxPositions / wavelength - rope.LowFreqFactor) / (rope.HighFreqFactor - rope.LowFreqFactor);
        var smoothed = (1 - smooth) * scaled / rope.Factor + smooth * scaled;
        var medium = (wavelength >= highFreqWavelength).logical_and(wavelength <= lowFreqWavelength);
        return where(medium, smoothed, scaled);
    }

    /// <summary>
    /// cos and sin for each position, shaped [B, 1, T, D] in <paramref name="dtype"/> to broadcast over heads.
    /// <paramref name="positionBound"/> exceeds every position; the caller knows it, so no device sync reads the maximum.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Lookup(Tensor positions, long positionBound, ScalarType dtype)
    {
        var tables = Covering(positionBound);
        using var scope = NewDisposeScope();
        var flat = positions.reshape(-1);
        long batch = positions.shape[0], steps = positions.shape[1];
        var cos = tables.Cos.index_select(0, flat).view(batch, 1, steps, -1).to(dtype);
        var sin = tables.Sin.index_select(0, flat).view(batch, 1, steps, -1).to(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>x·cos + rotate_half(x)·sin, with rotate_half(x) = [-x₂, x₁] over the two halves of the head dimension.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var rotated = cat([-x[.., .., .., (int)half..], x[.., .., .., ..(int)half]], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Full tables [N, D] fp32 covering positions below <paramref name="needed"/>: cos, and sin with its first half negated,
    /// so that rotate_half(x)·sin = roll(x, D/2)·signed sin.
    /// </summary>
    internal (Tensor Cos, Tensor SignedSin) CosAndSignedSin(long needed)
    {
        var tables = Covering(needed);
        return (tables.Cos, tables.SignedSin);
    }

    /// <summary>A published set of tables covering positions below <paramref name="needed"/>.</summary>
    Tables Covering(long needed)
    {
        if (current is { } tables && tables.Length >= needed) return tables;
        lock (growth)
        {
            if (current is { } grown && grown.Length >= needed) return grown;
            long length = Math.Max(256, (long)BitOperations.RoundUpToPowerOf2((ulong)needed));
            var built = Build(length);
            if (current is { } old) superseded.Add(old);
            current = built;
            return built;
        }
    }

    Tables Build(long length)
    {
        using var scope = NewDisposeScope();
        var positions = arange(0, length, ScalarType.Float32, device);
        var angles = outer(positions, inverseFrequencies);
        var emb = cat([angles, angles], -1);
        var sin = emb.sin();
        long half = sin.shape[1] / 2;
        var signedSin = cat([-sin[.., ..(int)half], sin[.., (int)half..]], 1);
        return new Tables(emb.cos().DetachFromDisposeScope(), sin.DetachFromDisposeScope(), signedSin.DetachFromDisposeScope());
    }

    public void Dispose()
    {
        inverseFrequencies.Dispose();
        current?.Dispose();
        foreach (var tables in superseded) tables.Dispose();
    }
}
