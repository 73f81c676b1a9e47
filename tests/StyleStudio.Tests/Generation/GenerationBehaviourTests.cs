using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Generation;

public class GenerationBehaviourTests
{
    static PretrainedModel Load(string name = "qwen2") =>
        PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public void Same_seed_gives_same_sample_and_another_seed_differs()
    {
        using var model = Load();
        var generator = new TextGenerator(model);
        var options = new SamplingOptions { Temperature = 1.5, TopK = 100, MaxNewTokens = 24, Seed = 7 };
        var first = generator.Generate([5, 17, 300], options, cancellation: Cancel);
        var again = generator.Generate([5, 17, 300], options, cancellation: Cancel);
        var other = generator.Generate([5, 17, 300], options with { Seed = 8 }, cancellation: Cancel);
        Assert.Equal(first.TokenIds, again.TokenIds);
        Assert.NotEqual(first.TokenIds, other.TokenIds);
    }

    [Fact]
    public void Streamed_deltas_add_up_to_the_result_and_stop_before_a_stop_string()
    {
        using var model = Load();
        var generator = new TextGenerator(model);
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = 30, MinNewTokens = 30 };
        var full = generator.Generate([7, 8, 9], greedy, cancellation: Cancel);
        Assert.Equal(FinishReason.Length, full.FinishReason);
        Assert.True(full.Text.Length > 6, $"expected text, got '{full.Text}'");

        string stop = full.Text.Substring(full.Text.Length / 2, 3);
        var streamed = new List<string>();
        var cut = generator.Generate([7, 8, 9], greedy with { StopStrings = [stop] }, d => streamed.Add(d.Text), Cancel);
        Assert.Equal(FinishReason.StopString, cut.FinishReason);
        Assert.Equal(full.Text[..full.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(cut.Text, string.Concat(streamed));
    }

    [Fact]
    public void Stops_at_end_of_sequence_token()
    {
        using var model = Load();
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = 12 };
        var free = TokenGenerator.Generate(model.Network, [[5, 17, 300]], greedy, [], Cancel).Select(s => (int)s[0]).ToList();
        int eos = free[4];
        var stopped = TokenGenerator.Generate(model.Network, [[5, 17, 300]], greedy, [eos], Cancel).Select(s => (int)s[0]).ToList();
        Assert.Equal(free[..(free.IndexOf(eos) + 1)], stopped);
    }

    [Fact]
    public void Cancellation_ends_generation_early()
    {
        using var model = Load();
        using var cancel = new CancellationTokenSource();
        var generator = new TextGenerator(model);
        int seen = 0;
        var result = generator.Generate([5, 17], new SamplingOptions { Temperature = 0, MaxNewTokens = 200, MinNewTokens = 200 },
            _ => { if (++seen == 5) cancel.Cancel(); }, cancel.Token);
        Assert.Equal(FinishReason.Cancelled, result.FinishReason);
        Assert.InRange(result.TokenIds.Count, 5, 6);
    }

    [Fact]
    public void Live_tensor_count_stays_flat_over_a_thousand_decode_steps()
    {
        using var model = Load();
        var statistics = DisposeScopeManager.Statistics;
        var options = new SamplingOptions { Temperature = 0.8, TopP = 0.9, RepetitionPenalty = 1.1, MaxNewTokens = 1000, MinNewTokens = 1000, Seed = 1 };
        TokenGenerator.Generate(model.Network, [[5]], options with { MaxNewTokens = 2, MinNewTokens = 0 }, [], Cancel).ToList(); // builds the compiled step
        // The run goes past the model's 512 positions; its rotary tables grow once (the old set is kept for concurrent
        // readers), so grow them up front and count per-step tensors only.
        using (var position = zeros(1, 1, ScalarType.Int64))
        {
            var (cos, sin) = model.Network.Rotary.Lookup(position, 1024, ScalarType.Float32);
            cos.Dispose();
            sin.Dispose();
        }
        long before = statistics.ThreadTotalLiveCount;
        long atStep10 = 0, atStep1000 = 0, steps = 0;
        foreach (var _ in TokenGenerator.Generate(model.Network, [[5, 17, 300], [7, 8]], options, model.EosTokenIds, Cancel))
        {
            steps++;
            if (steps == 10) atStep10 = statistics.ThreadTotalLiveCount;
            if (steps == 1000) atStep1000 = statistics.ThreadTotalLiveCount;
        }
        Assert.Equal(1000, steps);
        Assert.Equal(atStep10, atStep1000);                        // nothing accumulates per step
        Assert.Equal(before, statistics.ThreadTotalLiveCount);     // and nothing outlives the loop
    }
}
