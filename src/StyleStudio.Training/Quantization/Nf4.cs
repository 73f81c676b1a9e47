using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace StyleStudio.Training.Quantization;

/// <summary>
/// QLoRA's 4-bit NormalFloat quantization (Dettmers et al. 2023) with block size 64 and double quantization of the block
/// absmax values. Hand-written because no .NET package implements NF4; the code book is bitsandbytes' published one.
/// The double quantization is symmetric int8 per 256 absmax values after subtracting their mean (bitsandbytes uses an
/// 8-bit dynamic code there; the storage cost, 8 bits per 64 parameters, is the same).
/// </summary>
public static class Nf4
{
    public const int BlockSize = 64;
    public const int AbsmaxBlockSize = 256;

    /// <summary>The 16 NF4 levels, quantiles of N(0, 1) scaled to [-1, 1] with an exact zero (bitsandbytes' table).</summary>
    public static readonly float[] CodeBook =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>Quantizes <paramref name="weight"/> (element count a multiple of 64) on its own device.</summary>
    public static Nf4Tensor Quantize(Tensor weight)
    {
        if (weight.numel() % BlockSize != 0)
            throw new ArgumentException($"NF4 needs a multiple of {BlockSize} elements; this weight has {weight.numel()}", nameof(weight));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = weight.device;
        var blocks = weight.detach().to(ScalarType.Float32).reshape(-1, BlockSize);
        var absmax = blocks.abs().amax([1]).clamp_min(1e-12);                              // [blocks]
        var normalized = blocks / absmax.unsqueeze(1);

        var codes = tensor(CodeBook, device: device);
        var midpoints = (codes[1..] + codes[..^1]) / 2;                                     // nearest level = bucket between midpoints
        var indices = normalized.reshape(-1).bucketize(midpoints, false, false).to(ScalarType.Byte).view(-1, 2);
        var packed = indices[.., 0].bitwise_left_shift(tensor((byte)4, device: device)).bitwise_or(indices[.., 1]);

        var (absmaxCodes, scales, offset) = QuantizeAbsmax(absmax);
        return new Nf4Tensor(packed.DetachFromDisposeScope(), absmaxCodes.DetachFromDisposeScope(), scales.DetachFromDisposeScope(),
            offset, weight.shape);
    }

    /// <summary>
    /// The weight back in <paramref name="dtype"/>: code value × block absmax, computed in fp32 and rounded once. On
    /// CUDA one kernel of ours does it (<see cref="Nf4Kernel"/>), elsewhere <see cref="DequantizeWithOps"/>; both give
    /// the same bits.
    /// </summary>
    public static Tensor Dequantize(Nf4Tensor quantized, ScalarType dtype) =>
        Nf4Kernel.CanDequantize(quantized, dtype) ? Nf4Kernel.Dequantize(quantized, dtype) : DequantizeWithOps(quantized, dtype);

    /// <summary>
    /// <see cref="Dequantize"/> with libtorch's ops: each packed byte indexes a 256-row table of its two code values, so
    /// the whole weight takes one gather, then one multiply by the absmax and one conversion.
    /// </summary>
    public static Tensor DequantizeWithOps(Nf4Tensor quantized, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var device = quantized.Packed.device;
        var pairs = PairTableOn(device);
        var values = pairs.index_select(0, quantized.Packed.to(ScalarType.Int32)).view(-1, BlockSize);
        var absmax = DequantizeAbsmax(quantized);
        return values.mul_(absmax.unsqueeze(1)).reshape(quantized.Shape).to(dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Row b holds the code values of byte b's high and low nibble.</summary>
    static readonly float[] PairTable = Enumerable.Range(0, 256)
        .SelectMany(b => new[] { CodeBook[b >> 4], CodeBook[b & 15] }).ToArray();

    /// <summary>
    /// The pair table on each device, copied there once: a copy from host memory waits for the device to finish what it
    /// was given, and a QLoRA step dequantizes hundreds of times (every projection in the forward pass, its recomputation
    /// under checkpointing and the backward pass), so the host could never run ahead of the GPU.
    /// </summary>
    static readonly ConcurrentDictionary<string, Lazy<Tensor>> PairTables = new();

    static Tensor PairTableOn(Device device) => PairTables.GetOrAdd(device.ToString(),
        _ => new Lazy<Tensor>(() => tensor(PairTable, [256, 2], device: device).DetachFromDisposeScope())).Value;

    static (Tensor Codes, Tensor Scales, double Offset) QuantizeAbsmax(Tensor absmax)
    {
        double offset = absmax.mean().item<float>();
        long count = absmax.shape[0];
        long padded = (count + AbsmaxBlockSize - 1) / AbsmaxBlockSize * AbsmaxBlockSize;
        var centered = nn.functional.pad(absmax - offset, [0, padded - count]).view(-1, AbsmaxBlockSize);
        var scales = centered.abs().amax([1]).clamp_min(1e-12);                            // [groups]
        var codes = (centered / scales.unsqueeze(1) * 127).round().clamp(-127, 127).to(ScalarType.Int8).reshape(-1)[..(int)count];
        return (codes.contiguous(), scales, offset);
    }

    static Tensor DequantizeAbsmax(Nf4Tensor quantized)
    {
        long count = quantized.AbsmaxCodes.shape[0];
        var groups = quantized.AbsmaxScales.repeat_interleave(AbsmaxBlockSize)[..(int)count];
        return quantized.AbsmaxCodes.to(ScalarType.Float32) / 127 * groups + quantized.AbsmaxOffset;
    }
}
