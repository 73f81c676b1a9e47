using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Trainer;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models.Compiled;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models;

/// <summary>
/// Decoding replayed as CUDA graphs (GPU box only): the same tokens as transformers and as decoding without graphs, and
/// no device memory kept once generations end.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaGraphDecodeTests
{
    static PretrainedModel LoadOnCuda(string name, ScalarType dtype)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cuda, dtype));
        Assert.True(CudaGraphDecoder.Applies(model.Network, 16), "this libtorch should export the CUDA graph API");
        return model;
    }

    static List<long[]> Generate(PretrainedModel model, int[][] prompts, SamplingOptions options) =>
        TokenGenerator.Generate(model.Network, prompts, options, model.EosTokenIds, TestContext.Current.CancellationToken).ToList();

    [Theory, MemberData(nameof(ModelParityTests.Models), MemberType = typeof(ModelParityTests))]
    public void Fp32_greedy_tokens_match_transformers_alone_and_batched(string name)
    {
        using var model = LoadOnCuda(name, ScalarType.Float32);
        var reference = Reference.For(name);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 16, MinNewTokens = 16 };
        for (int i = 0; i < reference.Prompts.Length; i++)
            Assert.Equal(reference.Greedy[i], Generate(model, [reference.Prompts[i]], options).Select(s => (int)s[0]));
        var batched = Generate(model, reference.Prompts, options);
        for (int row = 0; row < reference.Prompts.Length; row++)
            Assert.Equal(reference.GreedyBatch[row], batched.Select(s => (int)s[row]));
    }

    [Fact]
    public void Bf16_greedy_and_seeded_sampling_equal_decoding_without_graphs()
    {
        using var model = LoadOnCuda("qwen2", ScalarType.BFloat16);
        int[][] prompts = [[5, 17, 300, 41], [9, 8]];
        var greedy = new SamplingOptions { Temperature = 0, MaxNewTokens = 64, MinNewTokens = 64 };
        var sampled = new SamplingOptions { Temperature = 1.1, TopP = 0.9, RepetitionPenalty = 1.2, MaxNewTokens = 64, Seed = 3 };
        var withGraphs = (Generate(model, prompts, greedy), Generate(model, prompts, sampled));
        model.Network.UseCudaGraphs = false;
        var withoutGraphs = (Generate(model, prompts, greedy), Generate(model, prompts, sampled));
        Assert.Equal(withoutGraphs.Item1, withGraphs.Item1);
        Assert.Equal(withoutGraphs.Item2, withGraphs.Item2);
    }

    [Fact]
    public void Device_memory_stays_flat_over_many_generations()
    {
        using var model = LoadOnCuda("qwen2", ScalarType.BFloat16);
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 24, MinNewTokens = 24 };
        // Warm-up past the retired graphs other tests left (CudaGraph keeps up to 8 pools for the next captures): the
        // first generations take those over and may add segments of their own shape; the claim is the steady state.
        for (int i = 0; i < 12; i++) Generate(model, [[5, 17, 300]], options);
        long before = ComputeDevice.MemoryInUse(CUDA)!.Value;
        for (int i = 0; i < 40; i++) Generate(model, [[5, 17, 300]], options);
        long after = ComputeDevice.MemoryInUse(CUDA)!.Value;
        // Each graph's private memory pool takes at least one 2 MB segment; a leaked graph per generation would show.
        Assert.True(after - before < 8 << 20, $"device memory grew by {(after - before) >> 20} MB over 40 generations");
    }

    [Fact]
    public async Task Captures_coexist_with_training_dropout_and_other_generations()
    {
        using var generating = LoadOnCuda("qwen2", ScalarType.BFloat16);
        using var training = LoadOnCuda("qwen2", ScalarType.BFloat16);
        int[][] prompts = [[5, 17, 300, 41]];
        var sampled = new SamplingOptions { Temperature = 1.0, TopK = 50, MaxNewTokens = 32, Seed = 4 };
        var alone = Generate(generating, prompts, sampled);

        // Dropout draws from the process-wide CUDA generator that every capture claims for its duration.
        LoraInjector.Apply(training.Network, new LoraConfig { Rank = 8, Alpha = 16, Dropout = 0.1 }, seed: 1);
        var trainer = Task.Run(() => new SftTrainer(training.Network, TinyStyleRun.Options)
            .Run(TinyStyleRun.Examples(training), cancellation: TestContext.Current.CancellationToken));
        var generators = Enumerable.Range(0, 2)
            .Select(_ => Task.Run(() => Enumerable.Range(0, 10).Select(_ => Generate(generating, prompts, sampled)).ToList()))
            .ToArray();

        var result = await trainer;
        Assert.Equal(TinyStyleRun.Options.Epochs, result.Steps.Count);
        Assert.All(result.Steps, step => Assert.True(double.IsFinite(step.Loss)));
        foreach (var run in (await Task.WhenAll(generators)).SelectMany(runs => runs))
            Assert.Equal(alone, run);
    }
}
