using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Scoring;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models;

/// <summary>
/// Tiny random checkpoints of each architecture, saved by transformers 5.17, run through our network on CPU in fp32 and
/// compared with the logits, greedy tokens and losses transformers computed from the same files.
/// </summary>
public class ModelParityTests
{
    const double Tolerance = 1e-4;

    public static TheoryData<string> Models => ["qwen2", "qwen3", "llama3", "mistral", "qwen2-bf16-sharded", "glm", "glm4"];

    static PretrainedModel Load(string name) =>
        PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    [Theory, MemberData(nameof(Models))]
    public void Logits_match_transformers(string name)
    {
        using var model = Load(name);
        var reference = Reference.For(name);
        for (int i = 0; i < reference.Prompts.Length; i++)
        {
            using var scope = NewDisposeScope();
            var ids = Reference.Ids([reference.Prompts[i]]);
            var logits = model.Network.Forward(new ForwardInput(ids, arange(ids.shape[1]).unsqueeze(0)))[0];
            double error = (logits - reference.Logits($"single_{i}")).abs().max().item<float>();
            Assert.True(error < Tolerance, $"{name} prompt {i}: max |Δlogit| = {error:E2}");
        }
    }

    [Theory, MemberData(nameof(Models))]
    public void Left_padded_batch_equals_rows_run_alone_and_transformers(string name)
    {
        using var model = Load(name);
        var reference = Reference.For(name);
        using var scope = NewDisposeScope();
        var ids = Reference.Ids(reference.BatchInputIds);
        var padding = Reference.Ids(reference.BatchAttentionMask);
        var batch = model.Network.Forward(new ForwardInput(ids, CausalLM.PositionsFromPadding(padding), padding));
        var expected = reference.Logits("batch");
        for (int row = 0; row < reference.Prompts.Length; row++)
        {
            long length = reference.Prompts[row].Length, offset = ids.shape[1] - length;
            var real = batch[row, (int)offset..];
            double vsTransformers = (real - expected[row, (int)offset..]).abs().max().item<float>();
            double vsAlone = (real - reference.Logits($"single_{row}")).abs().max().item<float>();
            Assert.True(vsTransformers < Tolerance, $"{name} row {row}: batch vs transformers {vsTransformers:E2}");
            Assert.True(vsAlone < Tolerance, $"{name} row {row}: batch vs alone {vsAlone:E2}");
        }
    }

    public static TheoryData<string, bool> ModelsAndDecodePaths =>
        new(Models.SelectMany(m => new[] { (m.Data, true), (m.Data, false) }));

    [Theory, MemberData(nameof(ModelsAndDecodePaths))]
    public void Greedy_tokens_match_transformers_alone_and_batched(string name, bool compiledDecoding)
    {
        using var model = Load(name);
        model.Network.UseCompiledDecoding = compiledDecoding;
        var reference = Reference.For(name);
        // transformers generated with min_new_tokens = max_new_tokens = 16, which suppresses EOS throughout.
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = 16, MinNewTokens = 16 };
        for (int i = 0; i < reference.Prompts.Length; i++)
        {
            var tokens = TokenGenerator.Generate(model.Network, [reference.Prompts[i]], options, model.EosTokenIds, TestContext.Current.CancellationToken).Select(s => (int)s[0]);
            Assert.Equal(reference.Greedy[i], tokens);
        }
        var batched = TokenGenerator.Generate(model.Network, reference.Prompts, options, model.EosTokenIds, TestContext.Current.CancellationToken).ToList();
        for (int row = 0; row < reference.Prompts.Length; row++)
            Assert.Equal(reference.GreedyBatch[row], batched.Select(s => (int)s[row]));
    }

    [Theory, MemberData(nameof(Models))]
    public void Perplexity_matches_transformers_loss(string name)
    {
        using var model = Load(name);
        var reference = Reference.For(name);
        for (int i = 0; i < reference.Prompts.Length; i++)
        {
            var score = PerplexityScorer.Score(model.Network, reference.Prompts[i]);
            Assert.Equal(reference.Nll[i], score.MeanNll, Tolerance);
            Assert.Equal(Math.Exp(reference.Nll[i]), score.Value, 1e-3);
            Assert.Equal(reference.Prompts[i].Length - 1, score.PredictedTokens);
        }
    }
}
