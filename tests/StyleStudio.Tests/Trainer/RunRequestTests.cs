using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Trainer;

/// <summary>The typed run request: made from LLaMA-Factory's settings, checked by name, shown in those settings again.</summary>
public sealed class RunRequestTests
{
    [Fact]
    public void LLaMA_Factory_words_become_choices_and_come_back_the_same()
    {
        var settings = new TrainConfig
        {
            FinetuningType = "LoRA", LrSchedulerType = "cosine_with_warmup", Device = "CUDA", Bf16 = true, LoraTarget = "q_proj, v_proj",
            UseDora = true, QuantizationBit = 4, DisableGradientCheckpointing = true,
        };
        var request = settings.ToRequest();
        Assert.Equal((FineTuningType.Lora, ScheduleKind.Cosine, DevicePreference.Cuda, ComputePrecision.BFloat16, false),
            (request.FineTuning, request.LrScheduler, request.Device, request.Precision, request.GradientCheckpointing));
        Assert.Equal(["q_proj", "v_proj"], request.LoraTarget);
        Assert.Equal(16, request.EffectiveLoraAlpha);   // LLaMA-Factory's default: twice the rank
        var shown = TrainConfig.From(request);
        Assert.Equal(("lora", "cosine", "cuda", "bfloat16", "q_proj,v_proj", true), (shown.FinetuningType, shown.LrSchedulerType, shown.Device,
            shown.Dtype, shown.LoraTarget, shown.DisableGradientCheckpointing));
        Assert.Equal(request, shown.ToRequest() with { LoraTarget = request.LoraTarget });
        Assert.Equal(request.LoraTarget, shown.ToRequest().LoraTarget);
    }

    [Theory]
    [InlineData("finetuning_type", "finetuning_type 'lokr' is not available")]
    [InlineData("lr_scheduler_type", "lr_scheduler_type 'polynomial' is not one of cosine, linear, constant")]
    [InlineData("device", "device 'cuda:1' is not one of auto, cpu, cuda")]
    [InlineData("device", "device '1' is not one of")]
    [InlineData("dtype", "dtype 'int8' is not one of auto, float32, bfloat16, float16")]
    [InlineData("bf16", "set at most one of bf16 and fp16")]
    [InlineData("lora_rank", "lora_rank must be at least 1; got 0")]
    [InlineData("warmup_ratio", "warmup_ratio must be between 0 and 0.5; got 0.8")]
    [InlineData("learning_rate", "learning_rate must be positive; got 0")]
    [InlineData("template", "template")]
    [InlineData("quantization_bit", "quantization_bit 8 is not available; 4 (NF4, QLoRA) is")]
    [InlineData("finetuning_type", "quantization_bit needs finetuning_type lora")]
    [InlineData("lora_target", "unknown target module(s) qkv")]
    [InlineData("devices", "devices: 'gpu1' is not a GPU; write them as cuda:0,cuda:1")]
    [InlineData("devices", "devices names a GPU twice (cuda:0,cuda:0); list each GPU once")]
    [InlineData("devices", "devices lists GPUs to train on, which device: cpu contradicts")]
    public void A_bad_setting_is_refused_by_its_key_with_the_reason(string key, string reason)
    {
        var settings = new TrainConfig();
        switch (reason)
        {
            case var r when r.StartsWith("finetuning_type 'lokr'"): settings.FinetuningType = "lokr"; break;
            case var r when r.StartsWith("lr_scheduler_type"): settings.LrSchedulerType = "polynomial"; break;
            case var r when r.StartsWith("device 'cuda:1'"): settings.Device = "cuda:1"; break;
            case var r when r.StartsWith("device '1'"): settings.Device = "1"; break;
            case var r when r.StartsWith("dtype"): settings.Dtype = "int8"; break;
            case var r when r.StartsWith("set at most one"): settings.Bf16 = settings.Fp16 = true; break;
            case var r when r.StartsWith("lora_rank"): settings.LoraRank = 0; break;
            case var r when r.StartsWith("warmup_ratio"): settings.WarmupRatio = 0.8; break;
            case var r when r.StartsWith("learning_rate"): settings.LearningRate = 0; break;
            case "template": settings.Template = "no-such-template"; break;
            case var r when r.StartsWith("quantization_bit 8"): settings.QuantizationBit = 8; break;
            case var r when r.StartsWith("quantization_bit needs"): settings.QuantizationBit = 4; settings.FinetuningType = "full"; break;
            case var r when r.StartsWith("devices: 'gpu1'"): settings.Devices = "cuda:0,gpu1"; break;
            case var r when r.StartsWith("devices names"): settings.Devices = "cuda:0, cuda:0"; break;
            case var r when r.StartsWith("devices lists"): settings.Devices = "cuda:0,cuda:1"; settings.Device = "cpu"; break;
            default: settings.LoraTarget = "qkv"; break;
        }
        var error = Assert.Throws<RunSettingException>(() => settings.ToRequest());
        Assert.Equal(key, error.Setting);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void Devices_name_the_gpus_of_a_data_parallel_run_and_come_back_the_same()
    {
        var request = new TrainConfig { Devices = "cuda:0, cuda:1,2" }.ToRequest();
        Assert.Equal([0, 1, 2], request.Devices);
        Assert.Equal("cuda:0,cuda:1,cuda:2", TrainConfig.From(request).Devices);
        Assert.Empty(new TrainConfig().ToRequest().Devices);
        Assert.Null(TrainConfig.From(new TrainConfig().ToRequest()).Devices);
        Assert.Equal([1], new TrainConfig { Devices = "cuda:1,tpu:0" }.ToStoredRequest().Devices);   // a stored word it cannot read is left out
    }

    [Fact]
    public void A_stored_request_always_loads_and_the_trainer_needs_its_paths()
    {
        // Words a newer version might write keep their defaults; an old "cuda:1" reads as cuda.
        var stored = new TrainConfig { FinetuningType = "lokr", LrSchedulerType = "polynomial", Device = "cuda:1", Dtype = "int8" }.ToStoredRequest();
        Assert.Equal((FineTuningType.Lora, ScheduleKind.Cosine, DevicePreference.Cuda, ComputePrecision.Auto),
            (stored.FineTuning, stored.LrScheduler, stored.Device, stored.Precision));

        var noPaths = new TrainConfig().ToRequest();
        Assert.Equal("model_name_or_path", Assert.Throws<RunSettingException>(() => FineTuneRun.Prepare(noPaths, [])).Setting);
        Assert.Equal("output_dir", Assert.Throws<RunSettingException>(() => FineTuneRun.Prepare(noPaths with { ModelPath = "m" }, [])).Setting);
    }

    [Fact]
    public void A_request_cannot_be_changed_only_copied_with_changes()
    {
        var asked = new TrainConfig { Device = "cpu" }.ToRequest();
        var trained = asked with { ModelPath = "/models/q", OutputDir = "/runs/1" };
        Assert.Null(asked.ModelPath);
        Assert.Equal(DevicePreference.Cpu, trained.Device);
        Assert.True(typeof(RunRequest).GetProperties().All(p => p.SetMethod is null || p.SetMethod.ReturnParameter.GetRequiredCustomModifiers()
            .Contains(typeof(System.Runtime.CompilerServices.IsExternalInit))));
    }
}
