using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Templates;

namespace StyleStudio.Training.Trainer;

/// <summary>What is trained: LLaMA-Factory's <c>finetuning_type</c>.</summary>
public enum FineTuningType
{
    /// <summary>Adapters on a frozen base: LoRA, DoRA (<see cref="RunRequest.UseDora"/>), QLoRA (<see cref="RunRequest.QuantizationBit"/> 4).</summary>
    Lora,
    /// <summary>Every weight.</summary>
    Full,
    /// <summary>The last <see cref="RunRequest.FreezeTrainableLayers"/> layers only.</summary>
    Freeze,
}

/// <summary>The compute dtype: LLaMA-Factory's bf16 / fp16 flags, or the studio's own choice.</summary>
public enum ComputePrecision
{
    /// <summary>bfloat16 on a GPU, float32 on the CPU.</summary>
    Auto,
    Float32,
    BFloat16,
    /// <summary>fp16 base with fp32 adapters and dynamic loss scaling (GPUs without bf16).</summary>
    Float16,
}

/// <summary>A setting that fails its check: <see cref="Setting"/> is its LLaMA-Factory key (lora_rank, device, …).</summary>
public sealed class RunSettingException(string setting, string message) : ArgumentException(message)
{
    public string Setting { get; } = setting;
}

/// <summary>
/// One fine-tuning run as the trainer receives it: immutable, choices as enums, every number checked by
/// <see cref="Validate"/>, which names the failing setting by its LLaMA-Factory key. The studio stores it with each run
/// (RunSettingsDocument maps it field by field); <see cref="TrainConfig"/> is the YAML/form shape it is made from
/// (<see cref="TrainConfig.ToRequest"/>). A process that trains fills in <see cref="ModelPath"/> and
/// <see cref="OutputDir"/> for itself (<c>request with { … }</c>): a model's folder differs between machines.
/// </summary>
public sealed record RunRequest
{
    /// <summary>The base model's folder; null until the process that trains resolves it.</summary>
    public string? ModelPath { get; init; }
    /// <summary>Where checkpoints and the result go; null until the process that trains sets it.</summary>
    public string? OutputDir { get; init; }
    public string Template { get; init; } = "qwen";
    public FineTuningType FineTuning { get; init; } = FineTuningType.Lora;
    public int FreezeTrainableLayers { get; init; } = 2;
    public int LoraRank { get; init; } = 8;
    /// <summary>Null: twice the rank.</summary>
    public double? LoraAlpha { get; init; }
    public double LoraDropout { get; init; }
    /// <summary>Module names, or "all" for every linear projection.</summary>
    public IReadOnlyList<string> LoraTarget { get; init; } = ["all"];
    public bool UseDora { get; init; }
    public bool UseRslora { get; init; }
    /// <summary>4 loads the frozen base in NF4 (QLoRA); null keeps it in the compute dtype.</summary>
    public int? QuantizationBit { get; init; }
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>Fractional epochs run whole epochs stopped after that share of steps.</summary>
    public double NumTrainEpochs { get; init; } = 3;
    public int PerDeviceTrainBatchSize { get; init; } = 2;
    public int GradientAccumulationSteps { get; init; } = 8;
    public ScheduleKind LrScheduler { get; init; } = ScheduleKind.Cosine;
    public double WarmupRatio { get; init; }
    public int? WarmupSteps { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; }
    public int CutoffLen { get; init; } = 2048;
    public bool TrainOnPrompt { get; init; }
    /// <summary>Pack short examples into rows of cutoff_len tokens (each still attends only to itself).</summary>
    public bool Packing { get; init; }
    public int Seed { get; init; } = 42;
    public int? MaxSteps { get; init; }
    public int SaveSteps { get; init; } = 100;
    public int SaveTotalLimit { get; init; } = 3;
    public int LoggingSteps { get; init; } = 5;
    /// <summary>Held-out share (below 1) or count of examples for validation; 0 holds out none.</summary>
    public double ValSize { get; init; }
    public int EvalSteps { get; init; }
    public int? EarlyStoppingPatience { get; init; }
    public DevicePreference Device { get; init; } = DevicePreference.Auto;
    /// <summary>
    /// GPU indexes to train on, one copy of the model each (data parallelism: the global batch is the per-device batch ×
    /// accumulation × GPUs); empty trains on the one device <see cref="Device"/> picks.
    /// </summary>
    public IReadOnlyList<int> Devices { get; init; } = [];
    public ComputePrecision Precision { get; init; } = ComputePrecision.Auto;
    /// <summary>LLaMA-Factory checkpoints activations by default (slower, less memory).</summary>
    public bool GradientCheckpointing { get; init; } = true;
    /// <summary>
    /// Long-context memory mode (with checkpointing): the checkpoints wait in pinned host memory and each layer's MLP runs
    /// over 8k-token slices — for sequences of tens of thousands of tokens on a 24 GB card, at some speed.
    /// </summary>
    public bool OffloadCheckpoints { get; init; }

    /// <summary>Adapters train (LoRA, DoRA, QLoRA), not the base's own weights.</summary>
    public bool TrainsAdapters => FineTuning == FineTuningType.Lora;

    /// <summary>The LoRA alpha in force: the given one, else twice the rank (LLaMA-Factory's default).</summary>
    public double EffectiveLoraAlpha => LoraAlpha ?? 2.0 * LoraRank;

    /// <summary>The adapter configuration of a LoRA-family run.</summary>
    public LoraConfig Lora() => new()
    {
        Rank = LoraRank, Alpha = EffectiveLoraAlpha, Dropout = LoraDropout, TargetModules = [.. LoraTarget],
        UseDora = UseDora, UseRsLora = UseRslora,
    };

    /// <summary>The dtype name model loading takes (auto, float32, bfloat16, float16).</summary>
    public string DtypeName => Precision switch
    {
        ComputePrecision.Float32 => "float32",
        ComputePrecision.BFloat16 => "bfloat16",
        ComputePrecision.Float16 => "float16",
        _ => "auto",
    };

    /// <summary>The form's bounds per setting: lower and upper (inclusive).</summary>
    static readonly (string Key, Func<RunRequest, double?> Value, double Min, double Max)[] Bounds =
    [
        ("lora_rank", r => r.LoraRank, 1, double.MaxValue),
        ("lora_alpha", r => r.LoraAlpha, double.Epsilon, double.MaxValue),
        ("num_train_epochs", r => r.NumTrainEpochs, 0.1, double.MaxValue),
        ("lora_dropout", r => r.LoraDropout, 0, 0.9),
        ("freeze_trainable_layers", r => r.FreezeTrainableLayers, 1, double.MaxValue),
        ("per_device_train_batch_size", r => r.PerDeviceTrainBatchSize, 1, double.MaxValue),
        ("gradient_accumulation_steps", r => r.GradientAccumulationSteps, 1, double.MaxValue),
        ("cutoff_len", r => r.CutoffLen, 16, double.MaxValue),
        ("warmup_ratio", r => r.WarmupRatio, 0, 0.5),
        ("warmup_steps", r => r.WarmupSteps, 0, double.MaxValue),
        ("val_size", r => r.ValSize, 0, double.MaxValue),
        ("eval_steps", r => r.EvalSteps, 0, double.MaxValue),
        ("early_stopping_patience", r => r.EarlyStoppingPatience, 1, double.MaxValue),
        ("save_steps", r => r.SaveSteps, 1, double.MaxValue),
        ("save_total_limit", r => r.SaveTotalLimit, 1, double.MaxValue),
        ("logging_steps", r => r.LoggingSteps, 1, double.MaxValue),
        ("max_steps", r => r.MaxSteps, 1, double.MaxValue),
        ("learning_rate", r => r.LearningRate, double.Epsilon, double.MaxValue),
        ("max_grad_norm", r => r.MaxGradNorm, 0, double.MaxValue),
        ("weight_decay", r => r.WeightDecay, 0, double.MaxValue),
    ];

    /// <summary>
    /// Throws a <see cref="RunSettingException"/> naming the first setting that fails: a number outside its bounds, an
    /// unknown template, a combination the engine cannot train (QLoRA needs LoRA and 4 bits), LoRA targets the engine does
    /// not know. Paths are not checked here (they are filled in
    /// by the process that trains; <see cref="FineTuneRun.Prepare"/> requires them).
    /// </summary>
    public void Validate()
    {
        foreach (var (key, value, min, max) in Bounds)
            if (value(this) is { } v && (!double.IsFinite(v) || v < min || v > max))
                throw new RunSettingException(key,
                    $"{key} must be {(max == double.MaxValue ? (min == double.Epsilon ? "positive" : $"at least {min}") : $"between {min} and {max}")}; got {v}");
        try
        {
            PromptTemplates.Get(Template);
        }
        catch (ArgumentException e)
        {
            throw new RunSettingException("template", e.Message);
        }
        if (QuantizationBit is { } bits)
        {
            if (bits != 4) throw new RunSettingException("quantization_bit", $"quantization_bit {bits} is not available; 4 (NF4, QLoRA) is");
            if (!TrainsAdapters)
                throw new RunSettingException("finetuning_type", "quantization_bit needs finetuning_type lora: a 4-bit base cannot be trained directly");
        }
        if (Devices.Count > 0)
        {
            if (Device == DevicePreference.Cpu)
                throw new RunSettingException("devices", "devices lists GPUs to train on, which device: cpu contradicts; remove one of them");
            if (Devices.Distinct().Count() != Devices.Count)
                throw new RunSettingException("devices", $"devices names a GPU twice ({string.Join(",", Devices.Select(i => $"cuda:{i}"))}); list each GPU once");
        }
        if (OffloadCheckpoints && !GradientCheckpointing)
            throw new RunSettingException("offload_checkpoints",
                "offload_checkpoints keeps gradient checkpoints in host memory: it needs gradient checkpointing (remove disable_gradient_checkpointing)");
        if (!TrainsAdapters) return;
        try
        {
            Lora().Validate();   // the target names against the known projections
        }
        catch (ArgumentException e)
        {
            string key = e.ParamName switch
            {
                nameof(LoraConfig.Rank) => "lora_rank", nameof(LoraConfig.Alpha) => "lora_alpha", nameof(LoraConfig.Dropout) => "lora_dropout",
                _ => "lora_target",
            };
            throw new RunSettingException(key, Reason(e));
        }
    }

    /// <summary>An engine check's message without .NET's "(Parameter 'Rank')" tail, with the value it got.</summary>
    static string Reason(ArgumentException e)
    {
        int tail = e.Message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        string reason = tail >= 0 ? e.Message[..tail] : e.Message;
        return e is ArgumentOutOfRangeException { ActualValue: { } actual } ? $"{reason}; got {actual}" : reason;
    }
}
