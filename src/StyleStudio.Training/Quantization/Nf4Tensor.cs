using static TorchSharp.torch;

namespace StyleStudio.Training.Quantization;

/// <summary>
/// A weight stored in 4-bit NormalFloat: two code indices per byte (first value in the high nibble, as bitsandbytes
/// packs them), one absmax per 64 values, and those absmax values themselves quantized to int8 per 256 blocks around
/// their mean (double quantization) — about 4.13 bits per parameter.
/// </summary>
public sealed record Nf4Tensor(Tensor Packed, Tensor AbsmaxCodes, Tensor AbsmaxScales, double AbsmaxOffset, long[] Shape) : IDisposable
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes this weight occupies (indices, absmax codes, their scales, the offset).</summary>
    public long StorageBytes => Packed.numel() + AbsmaxCodes.numel() + AbsmaxScales.numel() * sizeof(float) + sizeof(float);

    public double BitsPerParameter => StorageBytes * 8.0 / ElementCount;

    public void Dispose()
    {
        Packed.Dispose();
        AbsmaxCodes.Dispose();
        AbsmaxScales.Dispose();
    }
}
