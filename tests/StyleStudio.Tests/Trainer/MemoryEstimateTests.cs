using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// The estimate's counts against the models themselves (parameters, adapter parameters, projections), and how it moves
/// with the settings; its figures against real runs are in <see cref="MemoryEstimateMeasuredTests"/>.
/// </summary>
public class MemoryEstimateTests
{
    static readonly MemoryEstimateInput Cpu = new(SequenceLength: 128, MemoryMeasure.ProcessMemory, OverheadBytes: 0);

    public static TheoryData<string> FixtureModels => new() { "qwen2", "qwen3", "llama3", "mistral" };

    [Theory]
    [MemberData(nameof(FixtureModels))]
    public void Parameters_from_the_config_equal_the_loaded_models_parameters(string name)
    {
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        long loaded = model.Network.parameters().Sum(p => p.numel());
        Assert.Equal(loaded, MemoryEstimate.Parameters(ModelConfig.Load(Fixtures.Model(name))));
        // Full fine-tuning in fp32: weights are 4 bytes a parameter, and every parameter trains.
        var full = MemoryEstimate.For(model.Config, new RunRequest { FineTuning = FineTuningType.Full }, Cpu);
        Assert.Equal(loaded * 4, full.WeightBytes);
        Assert.Equal(loaded, full.TrainableParameters);
    }

    [Theory]
    [InlineData("all", false)]
    [InlineData("q_proj,v_proj", false)]
    [InlineData("down_proj", true)]
    public void Trainable_adapter_parameters_equal_those_the_injector_adds(string targets, bool dora)
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var settings = new RunRequest { LoraRank = 4, LoraTarget = targets.Split(','), UseDora = dora };
        LoraInjector.Apply(model.Network, new LoraConfig
        {
            Rank = 4, TargetModules = targets.Split(','), UseDora = dora,
        });
        long added = model.Network.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        var estimate = MemoryEstimate.For(model.Config, settings, Cpu);
        Assert.Equal(added, estimate.TrainableParameters);
        Assert.Equal(added * 16, estimate.TrainableBytes);   // fp32 value, gradient and two AdamW moments
    }

    [Fact]
    public void Freeze_tuning_trains_the_last_layers_only()
    {
        var config = ModelConfig.Load(Fixtures.Model("llama3"));
        using var model = PretrainedModel.Load(Fixtures.Model("llama3"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        TrainableSelection.LastLayers(model.Network, 1);
        long trained = model.Network.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        Assert.Equal(trained, MemoryEstimate.For(config, new RunRequest { FineTuning = FineTuningType.Freeze, FreezeTrainableLayers = 1 }, Cpu).TrainableParameters);
    }

    [Fact]
    public void Activations_grow_with_batch_and_sequence_and_checkpointing_saves_them()
    {
        // 24 layers: with the fixture's 2, keeping every input and recomputing a layer saves nothing.
        var config = ModelConfig.Load(Fixtures.Model("qwen2")) with { NumHiddenLayers = 24 };
        var settings = new RunRequest { PerDeviceTrainBatchSize = 2 };
        var baseline = MemoryEstimate.For(config, settings, Cpu);
        var largerBatch = MemoryEstimate.For(config, new RunRequest { PerDeviceTrainBatchSize = 4 }, Cpu);
        var longer = MemoryEstimate.For(config, settings, Cpu with { SequenceLength = 256 });
        var noCheckpointing = MemoryEstimate.For(config, new RunRequest { PerDeviceTrainBatchSize = 2, GradientCheckpointing = false }, Cpu);

        Assert.True(largerBatch.ActivationBytes > 1.9 * baseline.ActivationBytes);
        Assert.True(longer.ActivationBytes > 2 * baseline.ActivationBytes);   // the CPU's [T, T] attention grows faster
        Assert.True(noCheckpointing.ActivationBytes > 3 * baseline.ActivationBytes);
        Assert.Equal(baseline.WeightBytes, largerBatch.WeightBytes);
    }

    [Fact]
    public void Offloaded_checkpoints_and_mlp_slices_leave_the_device_estimate()
    {
        // Qwen2.5-7B's shape, QLoRA at 65,536 tokens: offloading takes 27 of the 28 layer inputs off the device (one is
        // being copied back), and the MLP's intermediate activations shrink to one 8k-token slice.
        var config = ModelConfig.Load(Fixtures.Model("qwen2")) with
        {
            HiddenSize = 3584, IntermediateSize = 18944, NumHiddenLayers = 28, NumAttentionHeads = 28, NumKeyValueHeads = 4,
            HeadDim = 128, VocabSize = 152_064, TieWordEmbeddings = false,
        };
        var gpu = new MemoryEstimateInput(65_536, MemoryMeasure.GpuMemory, MemoryEstimate.CudaContextBytes);
        var request = new RunRequest { QuantizationBit = 4, LoraRank = 16, PerDeviceTrainBatchSize = 1 };
        var offloaded = MemoryEstimate.For(config, request with { OffloadCheckpoints = true }, gpu);
        var kept = MemoryEstimate.For(config, request, gpu);
        long checkpoints = 27L * 65_536 * 3584 * 2, mlpBeyondSlice = (65_536L - LongContext.MlpSliceTokens) * 4 * 18944 * 2;
        Assert.Equal(kept.WeightBytes + kept.TrainableBytes + kept.LogitBytes, offloaded.WeightBytes + offloaded.TrainableBytes + offloaded.LogitBytes);
        // The MLP's saving counts for the layer recomputed and the gradients through it (2.5 layers' activations).
        Assert.Equal(checkpoints + (long)(2.5 * mlpBeyondSlice), kept.ActivationBytes - offloaded.ActivationBytes, tolerance: mlpBeyondSlice / 2);
    }

    [Fact]
    public void Logits_are_bounded_by_the_losss_chunk()
    {
        // A 152k vocabulary (Qwen2.5) at 8 × 2048 tokens would need 9 GiB of fp32 logits at once; the loss takes a chunk.
        var config = ModelConfig.Load(Fixtures.Model("qwen2")) with { VocabSize = 151_936 };
        var estimate = MemoryEstimate.For(config, new RunRequest { PerDeviceTrainBatchSize = 8 },
            new MemoryEstimateInput(2048, MemoryMeasure.GpuMemory, MemoryEstimate.CudaContextBytes));
        Assert.InRange(estimate.LogitBytes, StyleStudio.Training.Objectives.HiddenStateLoss.DefaultChunkBytes, 2 * StyleStudio.Training.Objectives.HiddenStateLoss.DefaultChunkBytes);
    }

    [Fact]
    public void QLoRA_stores_the_projections_in_about_half_a_byte_and_GPU_runs_default_to_bf16()
    {
        // A 7B-like shape: projections dominate, so NF4 cuts the weights to about a quarter of bf16.
        var config = ModelConfig.Load(Fixtures.Model("llama3")) with
        {
            HiddenSize = 4096, IntermediateSize = 11008, NumHiddenLayers = 32, NumAttentionHeads = 32, NumKeyValueHeads = 32,
            HeadDim = 128, VocabSize = 32000,
        };
        var gpu = new MemoryEstimateInput(512, MemoryMeasure.GpuMemory, MemoryEstimate.CudaContextBytes);
        var lora = MemoryEstimate.For(config, new RunRequest(), gpu);
        var qlora = MemoryEstimate.For(config, new RunRequest { QuantizationBit = 4 }, gpu);
        long parameters = MemoryEstimate.Parameters(config);
        Assert.Equal(parameters * 2, lora.WeightBytes);
        Assert.InRange(qlora.WeightBytes / (double)lora.WeightBytes, 0.26, 0.33);
        Assert.InRange(lora.TotalBytes / (double)(1L << 30), 13.5, 20);   // 12.6 GiB of bf16 weights plus the rest
    }
}

/// <summary>The projections the form offers, read from the weights, and the lora_target value a choice maps to.</summary>
public class LoraTargetsTests
{
    [Theory]
    [InlineData("qwen2")]
    [InlineData("qwen2-bf16-sharded")]
    [InlineData("llama3")]
    [InlineData("glm4")]
    public void The_weights_list_every_projection_with_the_configs_shape(string name)
    {
        var fromWeights = LoraTargets.Of(Fixtures.Model(name));
        string[] gateUp = name.StartsWith("glm", StringComparison.Ordinal) ? ["gate_up_proj"] : ["gate_proj", "up_proj"];
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", .. gateUp, "down_proj"], fromWeights.Select(t => t.Name));
        Assert.Equal(LoraTargets.Of(ModelConfig.Load(Fixtures.Model(name))), fromWeights);
    }

    [Fact]
    public void A_choice_maps_to_lora_target_and_back()
    {
        var available = LoraTargets.Of(Fixtures.Model("qwen2"));
        Assert.Equal("all", LoraTargets.Setting(LoraConfig.AllLinear, available));
        Assert.Equal("q_proj,v_proj", LoraTargets.Setting(["v_proj", "q_proj"], available));
        Assert.Equal("", LoraTargets.Setting([], available));
        Assert.Equal(["q_proj", "v_proj"], LoraTargets.Selected("q_proj, v_proj", available).Select(t => t.Name));
        Assert.Equal(7, LoraTargets.Selected("all", available).Count);
    }
}

/// <summary>Presets fill the settings; LLaMA-Factory's are its web UI's defaults.</summary>
public class TrainingPresetsTests
{
    [Fact]
    public void LLaMA_Factory_defaults_are_its_boards_values_with_the_cutoff_clamped_to_the_model()
    {
        var settings = new TrainConfig { LearningRate = 1, NumTrainEpochs = 9, LoraRank = 64, LoraTarget = "q_proj", ValSize = 0.2, MaxSteps = 5 };
        TrainingPresets.Apply(TrainingPreset.LlamaFactoryDefaults, settings, maxPositions: 512);
        Assert.Equal((5e-5, 3.0, 512, 2, 8, "cosine", 0.0), (settings.LearningRate, settings.NumTrainEpochs, settings.CutoffLen,
            settings.PerDeviceTrainBatchSize, settings.GradientAccumulationSteps, settings.LrSchedulerType, settings.WarmupRatio));
        Assert.Equal((8, 16.0, 0.0, "all", 0.0, (int?)null), (settings.LoraRank, settings.LoraAlpha!.Value, settings.LoraDropout,
            settings.LoraTarget, settings.ValSize, settings.MaxSteps));
        TrainingPresets.Apply(TrainingPreset.LlamaFactoryDefaults, settings);
        Assert.Equal(2048, settings.CutoffLen);
    }

    [Fact]
    public void Quick_try_is_short_and_quality_trains_longer_with_validation()
    {
        var quick = new TrainConfig();
        TrainingPresets.Apply(TrainingPreset.QuickTry, quick);
        var quality = new TrainConfig();
        TrainingPresets.Apply(TrainingPreset.Quality, quality);
        Assert.True(quick.MaxSteps <= 30 && quick.NumTrainEpochs <= 1);
        Assert.True(quality.NumTrainEpochs > 3 && quality.LoraRank > 8 && quality.ValSize > 0 && quality.EvalSteps > 0);
    }
}
