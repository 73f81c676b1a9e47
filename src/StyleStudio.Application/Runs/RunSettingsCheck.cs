using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Application.Runs;

/// <summary>A run setting that fails its check: <see cref="Setting"/> is its LLaMA-Factory key (lora_rank, device, …).</summary>
public sealed class RunSettingException(string setting, string message) : ArgumentException(message)
{
    public string Setting { get; } = setting;
}

/// <summary>
/// The checks a run's settings pass before it is queued, each failure naming the setting by its LLaMA-Factory key (the
/// <see cref="RunSettingException.Setting"/>): the training form's bounds, then the engine's own checks
/// (<see cref="FineTuneRun.CheckSettings"/>, <see cref="TrainingOptions.Validate"/>, <see cref="LoraConfig.Validate"/>) so a
/// mistake is reported when the run is started, not minutes later by its job.
/// </summary>
public static class RunSettingsCheck
{
    /// <summary>The form's lower and upper bounds per setting (its numeric fields' Min and Max).</summary>
    static readonly (string Key, Func<TrainConfig, double?> Value, double Min, double Max)[] Bounds =
    [
        ("lora_rank", s => s.LoraRank, 1, double.MaxValue),
        ("num_train_epochs", s => s.NumTrainEpochs, 0.1, double.MaxValue),
        ("lora_dropout", s => s.LoraDropout, 0, 0.9),
        ("freeze_trainable_layers", s => s.FreezeTrainableLayers, 1, double.MaxValue),
        ("per_device_train_batch_size", s => s.PerDeviceTrainBatchSize, 1, double.MaxValue),
        ("gradient_accumulation_steps", s => s.GradientAccumulationSteps, 1, double.MaxValue),
        ("cutoff_len", s => s.CutoffLen, 16, double.MaxValue),
        ("warmup_ratio", s => s.WarmupRatio, 0, 0.5),
        ("warmup_steps", s => s.WarmupSteps, 0, double.MaxValue),
        ("val_size", s => s.ValSize, 0, double.MaxValue),
        ("eval_steps", s => s.EvalSteps, 0, double.MaxValue),
        ("early_stopping_patience", s => s.EarlyStoppingPatience, 1, double.MaxValue),
        ("save_steps", s => s.SaveSteps, 1, double.MaxValue),
        ("save_total_limit", s => s.SaveTotalLimit, 1, double.MaxValue),
        ("logging_steps", s => s.LoggingSteps, 1, double.MaxValue),
        ("max_steps", s => s.MaxSteps, 1, double.MaxValue),
        ("learning_rate", s => s.LearningRate, double.Epsilon, double.MaxValue),
        ("max_grad_norm", s => s.MaxGradNorm, 0, double.MaxValue),
        ("weight_decay", s => s.WeightDecay, 0, double.MaxValue),
    ];

    /// <summary>The engine's option names, as the settings call them.</summary>
    static readonly Dictionary<string, string> EngineNames = new()
    {
        [nameof(TrainingOptions.LearningRate)] = "learning_rate", [nameof(TrainingOptions.Epochs)] = "num_train_epochs",
        [nameof(TrainingOptions.BatchSize)] = "per_device_train_batch_size",
        [nameof(TrainingOptions.GradientAccumulation)] = "gradient_accumulation_steps",
        [nameof(TrainingOptions.WarmupRatio)] = "warmup_ratio", [nameof(TrainingOptions.EvalEverySteps)] = "eval_steps",
        [nameof(TrainingOptions.EarlyStoppingPatience)] = "early_stopping_patience", [nameof(TrainingOptions.MaxGradNorm)] = "max_grad_norm",
        [nameof(LoraConfig.Rank)] = "lora_rank", [nameof(LoraConfig.Alpha)] = "lora_alpha", [nameof(LoraConfig.Dropout)] = "lora_dropout",
        [nameof(LoraConfig.TargetModules)] = "lora_target",
    };

    static readonly string[] Dtypes = ["auto", "float32", "bfloat16", "float16"];

    /// <summary>Throws a <see cref="RunSettingException"/> for the first failing setting.</summary>
    public static void Check(TrainConfig settings)
    {
        foreach (var (key, value, min, max) in Bounds)
            if (value(settings) is { } v && (!double.IsFinite(v) || v < min || v > max))
                throw new RunSettingException(key,
                    $"{key} must be {(max == double.MaxValue ? (min == double.Epsilon ? "positive" : $"at least {min}") : $"between {min} and {max}")}; got {v}");

        Choice("template", () => PromptTemplates.Get(settings.Template));
        Choice("device", () =>
        {
            if (!Enum.TryParse<DevicePreference>(settings.Device, ignoreCase: true, out _))
                throw new ArgumentException($"device '{settings.Device}' is not one of auto, cpu, cuda");
        });
        Choice("dtype", () =>
        {
            if (!Dtypes.Contains(settings.Dtype)) throw new ArgumentException($"dtype '{settings.Dtype}' is not one of {string.Join(", ", Dtypes)}");
        });
        Choice("bf16", () => settings.ResolveDtype());
        Choice("lr_scheduler_type", () =>
        {
            if (!Enum.TryParse<ScheduleKind>(settings.LrSchedulerType.Replace("_with_warmup", ""), ignoreCase: true, out _))
                throw new ArgumentException($"lr_scheduler_type '{settings.LrSchedulerType}' is not one of cosine, linear, constant");
        });
        // The engine's messages name finetuning_type or quantization_bit; placeholders stand in for what the job sets.
        Choice(settings.QuantizationBit is null ? "finetuning_type" : settings.FinetuningType is "lora" or "full" or "freeze" ? "quantization_bit" : "finetuning_type",
            () => FineTuneRun.CheckSettings(Placeholders(settings)));
        Engine(() => new TrainingOptions
        {
            LearningRate = settings.LearningRate, Epochs = (int)Math.Ceiling(settings.NumTrainEpochs), BatchSize = settings.PerDeviceTrainBatchSize,
            GradientAccumulation = settings.GradientAccumulationSteps, WarmupRatio = settings.WarmupRatio, MaxGradNorm = settings.MaxGradNorm,
            EvalEverySteps = settings.EvalSteps, EarlyStoppingPatience = settings.EarlyStoppingPatience,
        }.Validate());
        if (settings.FinetuningType == "lora")
            Engine(() => new LoraConfig
            {
                Rank = settings.LoraRank, Alpha = settings.LoraAlpha ?? settings.LoraRank * 2, Dropout = settings.LoraDropout,
                TargetModules = settings.LoraTarget.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            }.Validate());
    }

    /// <summary>Runs an engine check whose message says what is wrong, reporting it under <paramref name="key"/>.</summary>
    static void Choice(string key, Action check)
    {
        try
        {
            check();
        }
        catch (ArgumentException e)
        {
            throw new RunSettingException(key, ErrorText.Plain(e));
        }
    }

    /// <summary>Runs a validation that names the engine's option, reporting it under the setting's key.</summary>
    static void Engine(Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException e) when (e.ParamName is { } name && EngineNames.TryGetValue(name, out var key))
        {
            throw new RunSettingException(key, ErrorText.Plain(e));
        }
    }

    static TrainConfig Placeholders(TrainConfig settings) => new()
    {
        ModelNameOrPath = settings.ModelNameOrPath ?? "model", OutputDir = settings.OutputDir ?? "output",
        FinetuningType = settings.FinetuningType, QuantizationBit = settings.QuantizationBit,
    };
}
