using System.Globalization;
using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Cli;

/// <summary>
/// The GLM checkpoints (transformers' GlmForCausalLM and Glm4ForCausalLM, tiny random weights saved by transformers 5.17,
/// tools/reference/make_glm_reference.py) through the commands a user types: `generate --raw --temperature 0 --json` gives
/// the token ids transformers' greedy generate() gives for the same text, and `score --json` its perplexity.
/// </summary>
public sealed class GlmCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-glm-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

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

    /// <summary>
    /// LoRA and QLoRA on GLM-4 with its template: the adapter wraps the fused gate_up_proj (PEFT's name for it), generation
    /// through it works, and `merge` writes a checkpoint that loads and computes what base + adapter computes.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lora_and_qlora_train_on_glm4_and_the_adapter_merges(bool qlora)
    {
        File.WriteAllLines(Path.Combine(folder, "data.jsonl"),
        [
            """{"instruction": "改写成古风", "input": "今天天气很好", "output": "今日天朗气清"}""",
            """{"instruction": "改写成古风", "input": "我很想念你", "output": "思君甚切"}""",
        ]);
        string config = Path.Combine(folder, "run.yaml"), output = Path.Combine(folder, "run");
        File.WriteAllText(config, $"""
            model_name_or_path: {Fixtures.Model("glm4")}
            dataset: {Path.Combine(folder, "data.jsonl")}
            output_dir: {output}
            template: glm4
            lora_rank: 4
            learning_rate: 1.0e-2
            max_steps: 3
            per_device_train_batch_size: 2
            device: cpu
            {(qlora ? "quantization_bit: 4" : "")}
            """);
        var train = CliRunner.Run("train", "--config", config);
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("on q_proj,k_proj,v_proj,o_proj,gate_up_proj,down_proj", train.Stdout);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"], PeftAdapter.ReadConfig(output).TargetModules);

        var chat = CliRunner.Run("generate", "--model", Fixtures.Model("glm4"), "--adapter", output, "--prompt", "今天天气很好",
            "--template", "glm4", "--temperature", "0", "--max-new-tokens", "8", "--device", "cpu", "--json");
        Assert.True(chat.ExitCode == 0, chat.Stderr);

        string merged = Path.Combine(folder, "merged");
        var merge = CliRunner.Run("merge", "--model", Fixtures.Model("glm4"), "--adapter", output, "--out", merged);
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        var options = new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32);
        using var adapted = PretrainedModel.Load(Fixtures.Model("glm4"), options);
        PeftAdapter.Load(adapted.Network, output);
        using var loaded = PretrainedModel.Load(merged, options);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 512, 513, 5, 17, 300, 42, 99, 7 }).unsqueeze(0);
        Tensor Logits(CausalLM model) => model.Forward(new ForwardInput(ids, arange(ids.shape[1]).unsqueeze(0)));
        double difference = (Logits(adapted.Network) - Logits(loaded.Network)).abs().max().item<float>();
        // QLoRA's adapter, too, merges into the unquantized base, which it is compared with here.
        Assert.True(difference < 1e-4, $"merged logits differ from base + adapter by {difference}");
    }
}
