using StyleStudio.Training.Models;
using StyleStudio.Training.Models.Layers;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models.Layers;

/// <summary>Rotary tables grown by one thread while others read them (concurrent requests on one served model).</summary>
public class RotaryEmbeddingConcurrencyTests
{
    [Fact]
    public async Task Lookups_racing_with_growth_read_valid_tables_and_the_same_values()
    {
        long[] bounds = [256, 700, 1500, 3000];
        using var positions = tensor(new long[] { 0, 1, 255, 200 }).reshape(1, 4);
        Tensor expectedCos, expectedSin;
        using (var reference = new RotaryEmbedding(new RopeScaling(10_000), 16, CPU))
        {
            var (cos, sin) = reference.Lookup(positions, bounds[^1], ScalarType.Float32);
            (expectedCos, expectedSin) = (cos, sin);
        }

        // A fresh table set each round so that every round grows it three times while four readers race.
        for (int round = 0; round < 150; round++)
        {
            using var rotary = new RotaryEmbedding(new RopeScaling(10_000), 16, CPU);
            using var start = new Barrier(bounds.Length);
            var readers = bounds.Select((_, reader) => Task.Run(() =>
            {
                start.SignalAndWait();
                for (int i = 0; i < bounds.Length * 4; i++)
                {
                    var (cos, sin) = rotary.Lookup(positions, bounds[(i + reader) % bounds.Length], ScalarType.Float32);
                    Assert.True(cos.allclose(expectedCos) && sin.allclose(expectedSin), $"round {round}: wrong rotary values");
                    cos.Dispose();
                    sin.Dispose();
                }
            }, TestContext.Current.CancellationToken)).ToArray();
            await Task.WhenAll(readers);
        }
        expectedCos.Dispose();
        expectedSin.Dispose();
    }
}
