using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Templates;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Cli;

public class CliTests
{
    static readonly string Model = Fixtures.Model("qwen2");

    [Fact]
    public void Generate_json_gives_the_same_greedy_tokens_as_the_library_with_the_qwen_template()
    {
        var run = CliRunner.Run("generate", "--model", Model, "--prompt", "改写成古风：今天天气很好", "--template", "qwen",
            "--temperature", "0", "--max-new-tokens", "12", "--device", "cpu", "--json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var ids = json.RootElement.GetProperty("token_ids").EnumerateArray().Select(v => v.GetInt32()).ToList();

        using var model = PretrainedModel.Load(Model, new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var tokenizer = model.RequireTokenizer();
        var prompt = tokenizer.Encode(PromptTemplates.Qwen.RenderPrompt("改写成古风：今天天气很好", null, tokenizer.EosToken!));
        Assert.Equal(prompt.Length, json.RootElement.GetProperty("prompt_tokens").GetInt32());
        var expected = new TextGenerator(model).Generate(prompt, new SamplingOptions { Temperature = 0, MaxNewTokens = 12 },
            cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(expected.TokenIds, ids);
        Assert.Equal(expected.Text, json.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void Generate_with_a_peft_adapter_differs_from_the_base_and_is_reproducible()
    {
        string adapter = Path.Combine(Fixtures.Root, "peft", "lora");
        string[] common = ["generate", "--model", Model, "--prompt", "你好", "--temperature", "0", "--max-new-tokens", "8", "--device", "cpu", "--json"];
        var plain = CliRunner.Run(common);
        var adapted = CliRunner.Run([.. common, "--adapter", adapter]);
        var again = CliRunner.Run([.. common, "--adapter", adapter]);
        Assert.True(adapted.ExitCode == 0, adapted.Stderr);
        string Ids(CliRunner.Result r) => JsonDocument.Parse(r.Stdout).RootElement.GetProperty("token_ids").GetRawText();
        Assert.NotEqual(Ids(plain), Ids(adapted));
        Assert.Equal(Ids(adapted), Ids(again));

        var missing = CliRunner.Run([.. common, "--adapter", "/no/adapter"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("adapter_config.json", missing.Stderr);
    }

    [Fact]
    public void Tokenize_and_score_report_counts_and_perplexity()
    {
        var tokenize = CliRunner.Run("tokenize", "--model", Model, "--text", "hello 世界", "--json");
        Assert.True(tokenize.ExitCode == 0, tokenize.Stderr);
        using var ids = JsonDocument.Parse(tokenize.Stdout);
        Assert.Equal(ids.RootElement.GetProperty("ids").GetArrayLength(), ids.RootElement.GetProperty("count").GetInt32());

        var score = CliRunner.Run("score", "--model", Model, "--text", "hello world", "--device", "cpu", "--json");
        Assert.True(score.ExitCode == 0, score.Stderr);
        using var result = JsonDocument.Parse(score.Stdout);
        double nll = result.RootElement.GetProperty("mean_nll").GetDouble();
        Assert.Equal(Math.Exp(nll), result.RootElement.GetProperty("perplexity").GetDouble(), 1e-6);
    }

    [Fact]
    public void Info_describes_the_model()
    {
        var info = CliRunner.Run("info", "--model", Fixtures.Model("qwen3"), "--device", "cpu", "--json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        using var json = JsonDocument.Parse(info.Stdout);
        Assert.Equal("Qwen3ForCausalLM", json.RootElement.GetProperty("architecture").GetString());
        Assert.Equal(512, json.RootElement.GetProperty("context_length").GetInt32());
        Assert.StartsWith("cpu", json.RootElement.GetProperty("device").GetString());
        Assert.Equal("not used off CUDA", json.RootElement.GetProperty("cuda_kernels").GetString());
    }

    [Fact]
    public void Bad_input_exits_non_zero_with_a_specific_message()
    {
        var missing = CliRunner.Run("info", "--model", "/no/such/model");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("model folder not found", missing.Stderr);

        var badTemplate = CliRunner.Run("generate", "--model", Model, "--prompt", "x", "--template", "chatml");
        Assert.Equal(1, badTemplate.ExitCode);
        Assert.Contains("unknown template 'chatml'", badTemplate.Stderr);

        var badTopP = CliRunner.Run("generate", "--model", Model, "--prompt", "x", "--top-p", "1.5");
        Assert.Equal(1, badTopP.ExitCode);
        Assert.Contains("top-p must be in (0, 1]", badTopP.Stderr);

        var both = CliRunner.Run("generate", "--model", Model, "--prompt", "x", "--raw", "--template", "qwen");
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("--raw and --template exclude each other", both.Stderr);
    }
}
