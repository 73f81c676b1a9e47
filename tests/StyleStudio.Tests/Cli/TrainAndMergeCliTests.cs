using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Cli;

public sealed class TrainAndMergeCliTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-cli-train-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string WriteRun(int maxSteps, string extra = "")
    {
        File.WriteAllLines(Path.Combine(folder, "data.jsonl"),
        [
            """{"instruction": "Rewrite casually", "input": "The meeting has been cancelled.", "output": "meeting's off!"}""",
            """{"instruction": "Rewrite casually", "input": "I am unable to attend.", "output": "can't make it"}""",
            """{"instruction": "Rewrite casually", "output": 42}""",
            """{"instruction": "", "output": "an answer to nothing"}""",
        ]);
        string config = Path.Combine(folder, "run.yaml");
        File.WriteAllText(config, $"""
            model_name_or_path: {Fixtures.Model("qwen2")}
            dataset: {Path.Combine(folder, "data.jsonl")}
            output_dir: {Path.Combine(folder, "run")}
            lora_rank: 4
            use_dora: true
            learning_rate: 1.0e-2
            num_train_epochs: 10
            per_device_train_batch_size: 2
            gradient_accumulation_steps: 1
            max_steps: {maxSteps}
            save_steps: 2
            logging_steps: 1
            val_size: 1
            eval_steps: 2
            device: cpu
            some_llama_factory_key_we_do_not_use: true
            {extra}
            """);
        return config;
    }

    [Fact]
    public void Train_writes_metrics_checkpoints_and_a_peft_adapter_and_reports_rejected_rows()
    {
        var run = CliRunner.Run("train", "--config", WriteRun(maxSteps: 4));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("row 3: output: must be text, got number", run.Stderr);
        Assert.Contains("row 4: instruction: both instruction and input are missing or empty", run.Stderr);
        Assert.Contains("step 4/4", run.Stdout);
        Assert.Contains("(+1 for validation)", run.Stdout);
        Assert.Contains(" · eval ", run.Stdout);
        Assert.True(Directory.Exists(Path.Combine(folder, "run", TrainingCheckpoint.BestFolder)));

        string output = Path.Combine(folder, "run");
        var metrics = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1, 2, 3, 4], metrics.Select(m => m.GetProperty("step").GetInt32()));
        Assert.Equal(JsonValueKind.Number, metrics[1].GetProperty("eval_loss").ValueKind);
        Assert.True(metrics[0].GetProperty("memory_bytes").GetInt64() > 10_000_000); // the process's resident memory on CPU
        Assert.True(PeftAdapter.ReadConfig(output).UseDora);
        Assert.Equal(["checkpoint-2", "checkpoint-4"], TrainingCheckpoint.List(output).Select(Path.GetFileName));

        var resumed = CliRunner.Run("train", "--config", WriteRun(maxSteps: 6), "--resume");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resuming checkpoint-4", resumed.Stdout);
        Assert.DoesNotContain("step 4/6", resumed.Stdout);
        Assert.Contains("step 6/6", resumed.Stdout);
    }

    [Fact]
    public void The_long_sequence_mode_trains_with_its_checkpoints_in_host_memory()
    {
        var run = CliRunner.Run("train", "--config", WriteRun(maxSteps: 2, extra: "offload_checkpoints: true"));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("gradient checkpointing in host memory, MLP in 8,192-token slices", run.Stdout);
        Assert.Contains("step 2/2", run.Stdout);

        var refused = CliRunner.Run("train", "--config", WriteRun(maxSteps: 2, extra: "offload_checkpoints: true\ndisable_gradient_checkpointing: true"), "--overwrite");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("offload_checkpoints keeps gradient checkpoints in host memory: it needs gradient checkpointing", refused.Stderr);
    }

    [Fact]
    public void A_folder_holding_a_result_is_refused_unless_resume_or_overwrite_says_what_to_do()
    {
        string config = WriteRun(maxSteps: 2);
        Assert.Equal(0, CliRunner.Run("train", "--config", config).ExitCode);
        string output = Path.Combine(folder, "run");
        var adapter = File.ReadAllBytes(Path.Combine(output, PeftAdapter.WeightsFile));

        var refused = CliRunner.Run("train", "--config", config);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"error: the output folder {output} already holds adapter_config.json, adapter_model.safetensors, best, checkpoint-2; " +
                        "pass --resume to continue from its latest checkpoint, or --overwrite to delete them", refused.Stderr);
        Assert.Equal(adapter, File.ReadAllBytes(Path.Combine(output, PeftAdapter.WeightsFile)));   // untouched

        Assert.Contains("exclude each other", CliRunner.Run("train", "--config", config, "--resume", "--overwrite").Stderr);

        File.AppendAllText(config, "\nlora_rank: 2\nmax_steps: 1\n");
        var again = CliRunner.Run("train", "--config", config, "--overwrite");
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("--overwrite: deleted adapter_config.json, adapter_model.safetensors, best, checkpoint-2", again.Stdout);
        Assert.False(Directory.Exists(Path.Combine(output, "checkpoint-2")));
        Assert.DoesNotContain("\"step\":2", File.ReadAllText(Path.Combine(output, MetricsLog.FileName)));   // the old run's steps are gone
        Assert.Contains("\"r\": 2", File.ReadAllText(Path.Combine(output, PeftAdapter.ConfigFile)));
    }

    [Fact]
    public void Full_fine_tuning_writes_a_loadable_hugging_face_checkpoint()
    {
        string config = WriteRun(maxSteps: 2);
        File.AppendAllText(config, "\nfinetuning_type: full\n");
        var run = CliRunner.Run("train", "--config", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("full fine-tuning of 26 tensors", run.Stdout);
        string output = Path.Combine(folder, "run");
        using var trained = PretrainedModel.Load(output, new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        using var original = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var changed = trained.Network.named_parameters().Zip(original.Network.named_parameters())
            .Count(p => (p.First.parameter - p.Second.parameter).abs().max().item<float>() > 0);
        Assert.True(changed > 20, $"only {changed} tensors changed");
    }

    [Fact]
    public void Qlora_trains_an_adapter_that_merges_into_the_unquantized_base_and_odd_bit_widths_are_refused()
    {
        string config = WriteRun(maxSteps: 2);
        File.AppendAllText(config, "\nquantization_bit: 4\n");
        var run = CliRunner.Run("train", "--config", config);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("QLoRA (NF4 base) r4", run.Stdout);
        Assert.Contains("gradient checkpointing", run.Stdout);
        string merged = Path.Combine(folder, "merged");
        var merge = CliRunner.Run("merge", "--model", Fixtures.Model("qwen2"), "--adapter", Path.Combine(folder, "run"), "--out", merged);
        Assert.True(merge.ExitCode == 0, merge.Stderr);

        File.AppendAllText(config, "\nquantization_bit: 8\n");
        var refused = CliRunner.Run("train", "--config", config);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("quantization_bit 8 is not available; 4 (NF4, QLoRA) is", refused.Stderr);
    }

    [Fact]
    public void Merge_writes_a_checkpoint_whose_logits_equal_peft_merge_and_unload()
    {
        string merged = Path.Combine(folder, "merged");
        var run = CliRunner.Run("merge", "--model", Fixtures.Model("qwen2"), "--adapter", Path.Combine(Fixtures.Root, "peft", "dora"),
            "--out", merged, "--shard-size-mb", "0");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(File.Exists(Path.Combine(merged, SafetensorsCheckpoint.IndexFile)), "a tiny shard limit should shard the output");
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.json")));

        using var model = PretrainedModel.Load(merged, new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        using var reference = new SafetensorsFile(Path.Combine(Fixtures.Root, "peft", "dora", "reference.safetensors"));
        using var scope = NewDisposeScope();
        var expected = empty(reference.Entries["merged_logits"].Shape, ScalarType.Float32);
        reference.ReadInto("merged_logits", expected);
        var ids = tensor(new long[] { 5, 17, 300, 42, 99, 7, 8, 9, 400, 401, 402, 12, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 }, [2, 12]);
        using var noGrad = no_grad();
        var logits = model.Network.Forward(new ForwardInput(ids, arange(12).expand(2, 12)));
        Assert.True((logits - expected).abs().max().item<float>() < 1e-4);
    }
}
