using StyleStudio.Training.Generation;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Generation;

public class TokenSamplerTests
{
    [Fact]
    public void Draws_follow_the_distribution_and_never_pick_a_zero_probability_token()
    {
        float[] probabilities = [0.5f, 0f, 0.2f, 0.05f, 0f, 0.25f];
        const int Draws = 40_000;
        using var scope = NewDisposeScope();
        var rows = tensor(probabilities).expand(Draws, probabilities.Length);
        using var generator = new Generator(42);
        var tokens = TokenSampler.Draw(rows, rand([Draws], generator: generator)).data<long>().ToArray();

        var counts = new int[probabilities.Length];
        foreach (var token in tokens) counts[token]++;
        Assert.Equal(0, counts[1]);
        Assert.Equal(0, counts[4]);
        // Pearson's χ² over the four possible tokens (3 degrees of freedom): 16.27 is the 0.1% critical value.
        double chiSquare = probabilities.Select((p, i) => p == 0 ? 0 : Math.Pow(counts[i] - p * Draws, 2) / (p * Draws)).Sum();
        Assert.True(chiSquare < 16.27, $"χ² = {chiSquare:F2} for counts {string.Join(", ", counts)}");
    }

    [Fact]
    public void A_seed_fixes_every_steps_draw_and_unnormalised_rows_work()
    {
        using var scope = NewDisposeScope();
        var probabilities = tensor(new float[] { 2f, 1f, 1f, 4f, 0f, 0f, 3f, 3f }).view(2, 4);   // rows sum to 8 and 6
        long[] Run(long seed)
        {
            using var sampler = new TokenSampler(seed, steps: 50, batch: 2, CPU);
            return Enumerable.Range(0, 50).SelectMany(step => sampler.Draw(probabilities, step).data<long>().ToArray()).ToArray();
        }
        var first = Run(9);
        Assert.Equal(first, Run(9));
        Assert.NotEqual(first, Run(10));
        Assert.DoesNotContain(first.Where((_, i) => i % 2 == 1), token => token == 0);   // row 2's first token has probability 0
    }
}
