using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// The memory estimate against real CPU runs: each case trains a few steps with `stylestudio train` in its own process
/// (the CLI prints the estimate before the run, from what the process holds then, and the kernel's high-water mark of
/// its resident memory after it) and compares the estimated growth with the measured one. A process of its own is the
/// only clean measurement: inside the test process, memory other tests freed but the allocators kept is reused, and
/// threads of earlier tests' hosts allocate meanwhile, so the same run measured from 303 to 603 MiB of growth there.
/// Besides the tiny fixture model, a 12M-parameter Llama (random weights, written here) makes the tensors large enough
/// to stand out from the process's own memory.
/// </summary>
public class MemoryEstimateMeasuredTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// Allowed error of the estimated growth (estimate − the process's memory before loading) against the measured one
    /// (peak − the same), as bounds on estimate ÷ growth. Both include libtorch's runtime paged in by the first training
    /// (<see cref="MemoryEstimate.CpuRuntimeBytes"/>). The exact figures come from isolated GPU runs
    /// (benchmarks/results/2026-11-30-memory-estimate-h200.jsonl: −3 % to +10 %); a missing term (activations,
    /// optimizer state) would fall far outside this band. Measured on a 2-core machine (2026-12-01), estimated ÷ measured
    /// growth: 12M LoRA without checkpointing 1.04–1.12 (the same run's peak varies by 8 % from run to run), with
    /// checkpointing 1.00, full fine-tuning 1.06; the tiny model 56 vs 44 MiB (within <see cref="SlackMib"/>).
    /// </summary>
    const double Below = 0.8, Above = 1.25;

    /// <summary>Allowed absolute error, for the tiny model whose tensors are a few MiB.</summary>
    const long SlackMib = 24;

    readonly string folder = Directory.CreateTempSubdirectory("estimate-run-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    public static TheoryData<string, string, bool, int> Cases => new()
    {
        { "tiny", "lora", true, 2 },
        { "medium", "lora", false, 4 },
        { "medium", "lora", true, 4 },
        { "medium", "full", true, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_estimate_is_near_the_peak_memory_a_CPU_run_reaches(string size, string method, bool checkpointing, int batch)
    {
        string model = size == "tiny" ? Fixtures.Model("qwen2") : SyntheticLlama.Create(hidden: 512, intermediate: 1408, layers: 4, heads: 8, kvHeads: 4);
        try
        {
            string data = Path.Combine(folder, "data.jsonl"), config = Path.Combine(folder, "run.yaml");
            File.WriteAllLines(data, Rows(16));
            File.WriteAllText(config, $"""
                model_name_or_path: {model}
                dataset: {data}
                output_dir: {Path.Combine(folder, "out")}
                template: qwen
                finetuning_type: {method}
                device: cpu
                dtype: float32
                per_device_train_batch_size: {batch}
                gradient_accumulation_steps: 1
                max_steps: 4
                cutoff_len: 256
                disable_gradient_checkpointing: {(!checkpointing).ToString().ToLowerInvariant()}
                save_steps: 1000
                learning_rate: 1.0e-4
                """);
            var (code, stdout, stderr) = CliRunner.Run("train", "--config", config);
            Assert.True(code == 0, stdout + stderr);

            var estimate = Regex.Match(stdout, @"estimated peak memory (\d+) MiB: .*this process before loading (\d+) MiB");
            var peak = Regex.Match(stdout, @"\npeak memory (\d+) MiB \(estimated (\d+) MiB\)");
            Assert.True(estimate.Success && peak.Success, stdout);
            long estimated = long.Parse(estimate.Groups[1].Value), overhead = long.Parse(estimate.Groups[2].Value);
            long baseline = overhead - (MemoryEstimate.CpuRuntimeBytes >> 20), measured = long.Parse(peak.Groups[1].Value);
            long estimatedGrowth = estimated - baseline, measuredGrowth = measured - baseline;
            output.WriteLine($"{size} {method} checkpointing={checkpointing} batch={batch}: baseline {baseline} MiB, peak {measured} MiB " +
                             $"(growth {measuredGrowth} MiB), estimate {estimated} MiB (growth {estimatedGrowth} MiB, ratio {estimatedGrowth / (double)measuredGrowth:F2})\n" +
                             stdout);
            Assert.True(Math.Abs(estimatedGrowth - measuredGrowth) <= SlackMib
                        || (estimatedGrowth >= Below * measuredGrowth && estimatedGrowth <= Above * measuredGrowth),
                $"estimated growth {estimatedGrowth} MiB vs measured {measuredGrowth} MiB");
        }
        finally
        {
            if (size != "tiny") Directory.Delete(model, recursive: true);
        }
    }

    /// <summary>Alpaca rows of varied length, long enough that batches fill a good part of the cutoff.</summary>
    static IEnumerable<string> Rows(int count)
    {
        var words = "the quick brown fox jumps over a lazy dog while seven formal letters ask kindly for a casual reply".Split(' ');
        return Enumerable.Range(0, count).Select(i =>
        {
            string Text(int length, int offset) => string.Join(' ', Enumerable.Range(0, length).Select(j => words[(i * 7 + j * 3 + offset) % words.Length]));
            return JsonSerializer.Serialize(new { instruction = "formal: " + Text(20 + i % 5 * 4, 0), output = Text(12 + i % 3 * 6, 5) });
        });
    }
}

/// <summary>A Llama model of a chosen shape with random weights, using the fixture's tokenizer (512 tokens).</summary>
static class SyntheticLlama
{
    public static string Create(int hidden, int intermediate, int layers, int heads, int kvHeads)
    {
        string source = Fixtures.Model("llama3");
        string folder = Directory.CreateTempSubdirectory("synthetic-llama-").FullName;
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json" })
            File.Copy(Path.Combine(source, file), Path.Combine(folder, file));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!;
        int headDim = hidden / heads;
        config["hidden_size"] = hidden;
        config["intermediate_size"] = intermediate;
        config["num_hidden_layers"] = layers;
        config["num_attention_heads"] = heads;
        config["num_key_value_heads"] = kvHeads;
        config["head_dim"] = headDim;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());

        int vocab = (int)config["vocab_size"]!;
        var generator = new Generator(7);
        Tensor Random(params long[] shape) => normal(0, 0.02, shape, generator: generator);
        var tensors = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = Random(vocab, hidden),
            ["model.norm.weight"] = ones(hidden),
            ["lm_head.weight"] = Random(vocab, hidden),
        };
        for (int i = 0; i < layers; i++)
        {
            string p = $"model.layers.{i}.";
            tensors[p + "input_layernorm.weight"] = ones(hidden);
            tensors[p + "post_attention_layernorm.weight"] = ones(hidden);
            tensors[p + "self_attn.q_proj.weight"] = Random(heads * headDim, hidden);
            tensors[p + "self_attn.k_proj.weight"] = Random(kvHeads * headDim, hidden);
            tensors[p + "self_attn.v_proj.weight"] = Random(kvHeads * headDim, hidden);
            tensors[p + "self_attn.o_proj.weight"] = Random(hidden, heads * headDim);
            tensors[p + "mlp.gate_proj.weight"] = Random(intermediate, hidden);
            tensors[p + "mlp.up_proj.weight"] = Random(intermediate, hidden);
            tensors[p + "mlp.down_proj.weight"] = Random(hidden, intermediate);
        }
        SafetensorsWriter.Write(Path.Combine(folder, SafetensorsCheckpoint.SingleFile), tensors);
        foreach (var tensor in tensors.Values) tensor.Dispose();
        return folder;
    }
}
