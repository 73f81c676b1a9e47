using System.Numerics;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// Rotary position embedding tables (default, linear and Llama 3 frequency scaling), computed in fp32 exactly as
/// transformers does and grown on demand, so decoding gathers rows instead of recomputing cos/sin every step.
/// Pairs are the two halves of a head (i, i + D/2) or, for GLM, adjacent channels (2i, 2i+1); GLM also turns only the
/// first <c>rotaryDim</c> channels. The tables always span the whole head, with cos 1 and sin 0 on channels that pass
/// unrotated, so every path (eager, compiled, served) applies them the same way, and x·1 + y·0 leaves those exactly.
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

    readonly Tensor inverseFrequencies; // [R/2] fp32, R = rotary channels
    readonly Device device;
    readonly int headDim;

    /// <summary>Pairs are adjacent channels (GLM) rather than the two halves of the head.</summary>
    public bool Interleaved { get; }
    readonly Lock growth = new();
    readonly List<Tables> superseded = [];
    volatile Tables? current;

    public RotaryEmbedding(RopeScaling rope, int headDim, Device device) : this(rope, headDim, headDim, interleaved: false, device) { }

    /// <param name="rotaryDim">Channels turned, from the first; the head's others pass unrotated.</param>
    /// <param name="interleaved">Pairs are adjacent channels (GLM).</param>
    public RotaryEmbedding(RopeScaling rope, int headDim, int rotaryDim, bool interleaved, Device device)
    {
        if (rotaryDim % 2 != 0 || rotaryDim > headDim || (!interleaved && rotaryDim != headDim))
            throw new ArgumentException($"rotary channels {rotaryDim} of head dimension {headDim}: halves layout turns the whole head, and pairs need an even count");
        this.device = device;
        this.headDim = headDim;
        Interleaved = interleaved;
        using var scope = NewDisposeScope();
        var exponents = arange(0, rotaryDim, 2, ScalarType.Int64).to(ScalarType.Float32) / rotaryDim;
        var frequencies = 1.0f / full([rotaryDim / 2], rope.Theta, ScalarType.Float32).pow(exponents);
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

    /// <summary>x·cos + rotate(x)·sin in either pair layout (interleaved: rotate(x)₂ᵢ = -x₂ᵢ₊₁, rotate(x)₂ᵢ₊₁ = x₂ᵢ).</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin, bool interleaved)
    {
        if (!interleaved) return Apply(x, cos, sin);
        using var scope = NewDisposeScope();
        long[] shape = x.shape;
        var pairs = x.reshape([.. shape[..^1], shape[^1] / 2, 2]);
        var rotated = stack([-pairs.select(-1, 1), pairs.select(-1, 0)], -1).reshape(shape);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Full tables [N, D] fp32 covering positions below <paramref name="needed"/>: cos, and sin with the sign rotation
    /// gives each channel's partner: the first half negated, so that rotate_half(x)·sin = roll(x, D/2)·signed sin; or,
    /// interleaved, the even channels negated, so that rotate(x)·sin = swap-adjacent(x)·signed sin.
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
        if (!Interleaved)
        {
            var emb = cat([angles, angles], -1);
            var sin = emb.sin();
            long half = sin.shape[1] / 2;
            var signedSin = cat([-sin[.., ..(int)half], sin[.., (int)half..]], 1);
            return new Tables(emb.cos().DetachFromDisposeScope(), sin.DetachFromDisposeScope(), signedSin.DetachFromDisposeScope());
        }
        var turned = angles.repeat_interleave(2, dim: 1);                   // [N, R]: angle i on channels 2i and 2i+1
        long pass = headDim - turned.shape[1];
        var cosTable = cat([turned.cos(), ones([length, pass], ScalarType.Float32, device)], 1);
        var sinTable = cat([turned.sin(), zeros([length, pass], ScalarType.Float32, device)], 1);
        var sign = tensor(new float[] { -1, 1 }, device: device).repeat(headDim / 2);
        return new Tables(cosTable.DetachFromDisposeScope(), sinTable.DetachFromDisposeScope(), (sinTable * sign).DetachFromDisposeScope());
    }

    public void Dispose()
    {
        inverseFrequencies.Dispose();
        current?.Dispose();
        foreach (var tables in superseded) tables.Dispose();
    }
}
