using System.Globalization;
using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cli;

/// <summary>
/// The GLM checkpoints (transformers' GlmForCausalLM and Glm4ForCausalLM, tiny random weights saved by transformers 5.17,
/// tools/reference/make_glm_reference.py) through the commands a user types: `generate --raw --temperature 0 --json` gives
/// the token ids transformers' greedy generate() gives for the same text, and `score --json` its perplexity.
/// </summary>
public sealed class GlmCliTests
{
    public static TheoryData<string> Models => ["glm", "glm4"];

    static JsonElement Reference(string model) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Model(model), "reference.json"))).RootElement;

    [Theory, MemberData(nameof(Models))]
    public void Greedy_generation_gives_transformers_tokens(string model)
    {
        foreach (var text in Reference(model).GetProperty("text_cases").EnumerateArray())
        {
            var expected = text.GetProperty("greedy").EnumerateArray().Select(t => t.GetInt32()).ToList();
            var run = CliRunner.Run("generate", "--model", Fixtures.Model(model), "--prompt", text.GetProperty("prompt").GetString()!,
                "--raw", "--temperature", "0", "--max-new-tokens", expected.Count.ToString(CultureInfo.InvariantCulture), "--device", "cpu", "--json");
            Assert.True(run.ExitCode == 0, run.Stderr);
            using var json = JsonDocument.Parse(run.Stdout);
            Assert.Equal(text.GetProperty("prompt_ids").GetArrayLength(), json.RootElement.GetProperty("prompt_tokens").GetInt32());
            // transformers stops at any of the config's eos ids and keeps it; so does the CLI.
            Assert.Equal(expected, json.RootElement.GetProperty("token_ids").EnumerateArray().Select(t => t.GetInt32()));
        }
    }

    [Theory, MemberData(nameof(Models))]
    public void Score_gives_transformers_perplexity(string model)
    {
        foreach (var text in Reference(model).GetProperty("scored").EnumerateArray())
        {
            var run = CliRunner.Run("score", "--model", Fixtures.Model(model), "--text", text.GetProperty("text").GetString()!, "--device", "cpu", "--json");
            Assert.True(run.ExitCode == 0, run.Stderr);
            double expected = text.GetProperty("perplexity").GetDouble();
            double actual = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("perplexity").GetDouble();
            Assert.True(Math.Abs(actual / expected - 1) < 2e-3, $"perplexity {actual} vs transformers {expected}");
            Assert.Equal(text.GetProperty("ids").GetArrayLength() - 1, JsonDocument.Parse(run.Stdout).RootElement.GetProperty("predicted_tokens").GetInt32());
        }
    }
}
