using StyleStudio.Tests.Support;
using StyleStudio.Training.Quantization;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Quantization;

[Collection(TorchGlobalRandom.Name)]
public class Nf4Tests
{
    static readonly float LargestHalfGap = Nf4.CodeBook.Zip(Nf4.CodeBook.Skip(1), (a, b) => (b - a) / 2).Max();

    [Fact]
    public void Code_book_is_the_published_nf4_table()
    {
        Assert.Equal(16, Nf4.CodeBook.Length);
        Assert.Equal(Nf4.CodeBook.Order(), Nf4.CodeBook);
        Assert.Equal((-1f, 0f, 1f), (Nf4.CodeBook[0], Nf4.CodeBook[7], Nf4.CodeBook[15]));
        Assert.Equal(0.7229568362236023f, Nf4.CodeBook[14]); // bitsandbytes' values
        Assert.Equal(-0.6961928009986877f, Nf4.CodeBook[1]);
        Assert.Equal((1f - 0.6961928009986877f) / 2, LargestHalfGap, 6); // the widest gap is the bottom one
    }

    [Fact]
    public void Values_on_the_code_points_round_trip_exactly_and_pack_high_nibble_first()
    {
        using var scope = NewDisposeScope();
        // Every block holds each level 4 times and has absmax 0.5, so the double-quantized absmax is exact as well.
        var block = tensor(Enumerable.Range(0, 64).Select(i => Nf4.CodeBook[15 - i % 16] * 0.5f).ToArray());
        var weight = block.repeat(8).view(8, 64);
        using var quantized = Nf4.Quantize(weight);
        Assert.Equal(0xFE, quantized.Packed[0].item<byte>());            // levels 15 then 14: first value in the high nibble
        Assert.Equal(0xDC, quantized.Packed[1].item<byte>());
        Assert.Equal(0, (Nf4.Dequantize(quantized, ScalarType.Float32) - weight).abs().max().item<float>());
    }

    [Fact]
    public void Gaussian_weights_stay_within_half_a_level_of_their_block_absmax()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var weight = randn(256, 512) * 0.02;
        using var quantized = Nf4.Quantize(weight);
        var restored = Nf4.Dequantize(quantized, ScalarType.Float32);
        var absmax = weight.reshape(-1, 64).abs().amax([1]).unsqueeze(1);
        var relative = ((restored - weight).reshape(-1, 64).abs() / absmax).max().item<float>();
        Assert.True(relative <= LargestHalfGap + 0.01, $"max error {relative:F4} × block absmax"); // + double-quantization error
        var rms = (restored - weight).pow(2).mean().sqrt().item<float>() / weight.std().item<float>();
        Assert.InRange(rms, 0.01, 0.15);
        Assert.Equal(ScalarType.BFloat16, Nf4.Dequantize(quantized, ScalarType.BFloat16).dtype);
    }

    [Fact]
    public void Storage_is_about_4_13_bits_per_parameter()
    {
        using var scope = NewDisposeScope();
        using var quantized = Nf4.Quantize(randn(3584, 512));
        Assert.InRange(quantized.BitsPerParameter, 4.12, 4.135);
        Assert.Throws<ArgumentException>(() => Nf4.Quantize(randn(10, 10)));
    }
}
