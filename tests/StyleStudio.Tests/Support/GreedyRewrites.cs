using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Templates;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Support;

/// <summary>What the tiny qwen2 fixture writes for each input, greedily through the qwen template (CPU, fp32): the
/// expected text for tests of anything that rewrites rows (eval CLI, evaluation page).</summary>
static class GreedyRewrites
{
    public static string[] Of(IEnumerable<string> inputs, int maxNewTokens)
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var options = new SamplingOptions { Temperature = 0, MaxNewTokens = maxNewTokens };
        return inputs.Select(input =>
        {
            var prompt = TemplatedPrompt.Create(model, PromptTemplates.Qwen, input);
            return new TextGenerator(model, prompt.StopIds).Generate(prompt.Ids, options).Text;
        }).ToArray();
    }
}
