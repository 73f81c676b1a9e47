using StyleStudio.Training.Objectives;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Objectives;

/// <summary>The chunked loss from hidden states equals cross-entropy over full logits, in value and in both gradients.</summary>
public class HiddenStateLossTests
{
    static double MaxDifference(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Theory]
    [InlineData(false, 1L << 30)]   // one chunk, frozen head (LoRA)
    [InlineData(true, 1L << 30)]    // one chunk, trained head (full fine-tuning)
    [InlineData(true, 3 * 4 * 37)]  // three rows per chunk: chunk boundaries fall inside and across rows
    public void Matches_cross_entropy_over_full_logits(bool headTrained, long chunkBytes)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(11);
        var hidden = randn([3, 9, 16], generator: generator).requires_grad_(true);
        var weight = randn([37, 16], generator: generator).requires_grad_(headTrained);
        var labels = randint(37, [3, 9], generator: generator);
        labels[0, ..4] = tensor(CausalLmLoss.Ignore);     // a masked prompt
        labels[2, 7..] = tensor(CausalLmLoss.Ignore);     // right padding

        var expected = CausalLmLoss.Sum(nn.functional.linear(hidden, weight), labels);
        expected.backward();
        var expectedHiddenGrad = hidden.grad!.clone();
        var expectedWeightGrad = headTrained ? weight.grad!.clone() : null;
        hidden.grad!.zero_();
        if (headTrained) weight.grad!.zero_();

        var actual = HiddenStateLoss.Sum(hidden, weight, labels, chunkBytes);
        (actual * 0.5).backward();    // a non-unit incoming gradient must scale both results

        Assert.Equal(expected.item<float>(), actual.item<float>(), 1e-3);
        Assert.True(MaxDifference(hidden.grad!, expectedHiddenGrad * 0.5) < 1e-5, "hidden gradient differs");
        if (expectedWeightGrad is not null)
            Assert.True(MaxDifference(weight.grad!, expectedWeightGrad * 0.5) < 1e-5, "weight gradient differs");
        using (no_grad())
            Assert.Equal(expected.item<float>(), HiddenStateLoss.Sum(hidden, weight, labels, chunkBytes).item<float>(), 1e-3);
    }
}
