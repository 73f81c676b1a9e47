using StyleStudio.Training.Runtime;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// A fine-tuning run's settings as a person writes them, with LLaMA-Factory's names and spellings (finetuning_type: lora,
/// lr_scheduler_type: cosine_with_warmup, bf16: true): the CLI reads them from YAML run files (so LLaMA-Factory's carry
/// over), the studio's training form and its API edit them. <see cref="ToRequest"/> turns them into the typed, checked
/// <see cref="RunRequest"/> that is stored and trained; <see cref="From"/> shows a request in this shape again.
/// </summary>
public sealed class TrainConfig
{
    public string? ModelNameOrPath { get; set; }
    /// <summary>The CLI's dataset file; in the studio, the dataset's name.</summary>
    public string? Dataset { get; set; }
    public string Template { get; set; } = "qwen";
    public string? OutputDir { get; set; }
    /// <summary>lora (with use_dora / use_rslora), full, or freeze (only the last freeze_trainable_layers layers train).</summary>
    public string FinetuningType { get; set; } = "lora";
    public int FreezeTrainableLayers { get; set; } = 2;
    public int LoraRank { get; set; } = 8;
    public double? LoraAlpha { get; set; }
    public double LoraDropout { get; set; }
    public string LoraTarget { get; set; } = "all";
    public bool UseDora { get; set; }
    public bool UseRslora { get; set; }
    public double LearningRate { get; set; } = 5e-5;
    public double NumTrainEpochs { get; set; } = 3;
    public int PerDeviceTrainBatchSize { get; set; } = 2;
    public int GradientAccumulationSteps { get; set; } = 8;
    public string LrSchedulerType { get; set; } = "cosine";
    public double WarmupRatio { get; set; }
    public int? WarmupSteps { get; set; }
    public double MaxGradNorm { get; set; } = 1.0;
    public double WeightDecay { get; set; }
    public int CutoffLen { get; set; } = 2048;
    public bool TrainOnPrompt { get; set; }
    /// <summary>Pack short examples into rows of cutoff_len tokens (each still attends only to itself).</summary>
    public bool Packing { get; set; }
    public int Seed { get; set; } = 42;
    public int? MaxSteps { get; set; }
    public int SaveSteps { get; set; } = 100;
    public int SaveTotalLimit { get; set; } = 3;
    public int LoggingSteps { get; set; } = 5;
    /// <summary>Held-out share (0–1) or count of examples for validation; 0 holds out none.</summary>
    public double ValSize { get; set; }
    public int EvalSteps { get; set; }
    public int? EarlyStoppingPatience { get; set; }
    public string Device { get; set; } = "auto";
    /// <summary>GPUs to train on together, as cuda:0,cuda:1 (data parallelism); null or empty trains on one device.</summary>
    public string? Devices { get; set; }
    /// <summary>auto (bf16 on GPU, fp32 on CPU), float32, bfloat16 or float16; LLaMA-Factory's bf16 / fp16 flags override it.</summary>
    public string Dtype { get; set; } = "auto";
    public bool Bf16 { get; set; }
    /// <summary>fp16 base with fp32 adapters and dynamic loss scaling (for GPUs without bf16).</summary>
    public bool Fp16 { get; set; }
    /// <summary>4 loads the frozen base in NF4 (QLoRA); null keeps it in the compute dtype.</summary>
    public int? QuantizationBit { get; set; }
    /// <summary>LLaMA-Factory checkpoints activations by default; this turns it off (faster, more memory).</summary>
    public bool DisableGradientCheckpointing { get; set; }
    /// <summary>Checkpoints in host memory and the MLP in slices, for long sequences (see <see cref="RunRequest.OffloadCheckpoints"/>).</summary>
    public bool OffloadCheckpoints { get; set; }

    /// <summary>
    /// The typed request these settings describe, checked (<see cref="RunRequest.Validate"/>): a choice that is not one
    /// of its words, or a number outside its bounds, throws a <see cref="RunSettingException"/> naming the setting.
    /// </summary>
    public RunRequest ToRequest()
    {
        var request = Typed(lenient: false);
        request.Validate();
        return request;
    }

    /// <summary>The request as stored settings describe it, unchecked: a stored run always loads, a word this version
    /// does not know (written by a newer one) keeping its default. New settings go through <see cref="ToRequest"/>.</summary>
    public RunRequest ToStoredRequest() => Typed(lenient: true);

    RunRequest Typed(bool lenient)
    {
        var defaults = new RunRequest();
        return new RunRequest
        {
            ModelPath = ModelNameOrPath, OutputDir = OutputDir, Template = Template,
            FineTuning = Choice<FineTuningType>("finetuning_type", FinetuningType, lenient ? defaults.FineTuning : null,
                $"finetuning_type '{FinetuningType}' is not available; use lora (with use_dora / use_rslora), full or freeze"),
            FreezeTrainableLayers = FreezeTrainableLayers, LoraRank = LoraRank, LoraAlpha = LoraAlpha, LoraDropout = LoraDropout,
            LoraTarget = LoraTarget.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            UseDora = UseDora, UseRslora = UseRslora, QuantizationBit = QuantizationBit,
            LearningRate = LearningRate, NumTrainEpochs = NumTrainEpochs, PerDeviceTrainBatchSize = PerDeviceTrainBatchSize,
            GradientAccumulationSteps = GradientAccumulationSteps,
            // LLaMA-Factory's names carry "_with_warmup"; every schedule here warms up as warmup_ratio / warmup_steps say.
            LrScheduler = Choice<ScheduleKind>("lr_scheduler_type", LrSchedulerType.Replace("_with_warmup", ""), lenient ? defaults.LrScheduler : null,
                $"lr_scheduler_type '{LrSchedulerType}' is not one of cosine, linear, constant"),
            WarmupRatio = WarmupRatio, WarmupSteps = WarmupSteps, MaxGradNorm = MaxGradNorm, WeightDecay = WeightDecay,
            CutoffLen = CutoffLen, TrainOnPrompt = TrainOnPrompt, Packing = Packing, Seed = Seed, MaxSteps = MaxSteps,
            SaveSteps = SaveSteps, SaveTotalLimit = SaveTotalLimit, LoggingSteps = LoggingSteps, ValSize = ValSize,
            EvalSteps = EvalSteps, EarlyStoppingPatience = EarlyStoppingPatience,
            // A stored "cuda:1" (which runs once held, though only a worker's --device picks a GPU) reads as cuda.
            Device = Choice<DevicePreference>("device", lenient && Device.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase) ? "cuda" : Device,
                lenient ? defaults.Device : null,
                $"device '{Device}' is not one of auto, cpu, cuda (a worker's --device cuda:N picks one GPU of several)"),
            Devices = GpuIndexes(lenient),
            Precision = lenient && Bf16 && Fp16 ? defaults.Precision : Precision(lenient),
            GradientCheckpointing = !DisableGradientCheckpointing,
            OffloadCheckpoints = OffloadCheckpoints,
        };
    }

    /// <summary>A request in LLaMA-Factory's words again (to edit it in the form, write it as YAML, show it in the API).</summary>
    public static TrainConfig From(RunRequest request) => new()
    {
        ModelNameOrPath = request.ModelPath, OutputDir = request.OutputDir, Template = request.Template,
        FinetuningType = Word(request.FineTuning), FreezeTrainableLayers = request.FreezeTrainableLayers,
        LoraRank = request.LoraRank, LoraAlpha = request.LoraAlpha, LoraDropout = request.LoraDropout,
        LoraTarget = string.Join(",", request.LoraTarget), UseDora = request.UseDora, UseRslora = request.UseRslora,
        QuantizationBit = request.QuantizationBit, LearningRate = request.LearningRate, NumTrainEpochs = request.NumTrainEpochs,
        PerDeviceTrainBatchSize = request.PerDeviceTrainBatchSize, GradientAccumulationSteps = request.GradientAccumulationSteps,
        LrSchedulerType = Word(request.LrScheduler), WarmupRatio = request.WarmupRatio, WarmupSteps = request.WarmupSteps,
        MaxGradNorm = request.MaxGradNorm, WeightDecay = request.WeightDecay, CutoffLen = request.CutoffLen,
        TrainOnPrompt = request.TrainOnPrompt, Packing = request.Packing, Seed = request.Seed, MaxSteps = request.MaxSteps,
        SaveSteps = request.SaveSteps, SaveTotalLimit = request.SaveTotalLimit, LoggingSteps = request.LoggingSteps,
        ValSize = request.ValSize, EvalSteps = request.EvalSteps, EarlyStoppingPatience = request.EarlyStoppingPatience,
        Device = Word(request.Device), Devices = request.Devices.Count == 0 ? null : string.Join(",", request.Devices.Select(i => $"cuda:{i}")),
        Dtype = request.DtypeName, DisableGradientCheckpointing = !request.GradientCheckpointing,
        OffloadCheckpoints = request.OffloadCheckpoints,
    };

    /// <summary>An enum value as LLaMA-Factory spells its choices (lora, cosine, cuda).</summary>
    public static string Word<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    static readonly string[] Dtypes = ["auto", "float32", "bfloat16", "float16"];

    /// <summary>The compute dtype after LLaMA-Factory's bf16 / fp16 flags, which override dtype.</summary>
    ComputePrecision Precision(bool lenient)
    {
        if (Bf16 && Fp16) throw new RunSettingException("bf16", "set at most one of bf16 and fp16");
        if (Bf16) return ComputePrecision.BFloat16;
        if (Fp16) return ComputePrecision.Float16;
        if (Dtypes.Contains(Dtype)) return Enum.Parse<ComputePrecision>(Dtype, ignoreCase: true);
        return lenient ? ComputePrecision.Auto : throw new RunSettingException("dtype", $"dtype '{Dtype}' is not one of {string.Join(", ", Dtypes)}");
    }

    /// <summary>The GPU indexes of <see cref="Devices"/> (cuda:0,cuda:1; a bare 1 reads as cuda:1). Anything else is
    /// refused under devices, or skipped when <paramref name="lenient"/>.</summary>
    IReadOnlyList<int> GpuIndexes(bool lenient)
    {
        var indexes = new List<int>();
        foreach (var entry in (Devices ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string number = entry.StartsWith("cuda:", StringComparison.OrdinalIgnoreCase) ? entry[5..] : entry;
            if (int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index))
                indexes.Add(index);
            else if (!lenient)
                throw new RunSettingException("devices", $"devices: '{entry}' is not a GPU; write them as cuda:0,cuda:1");
        }
        return indexes.Count == 0 ? [] : indexes.ToArray();
    }

    /// <summary>One of an enum's words, case-insensitive; anything else (a number included) is refused under
    /// <paramref name="key"/>, or replaced by <paramref name="fallback"/> when one is given.</summary>
    static T Choice<T>(string key, string word, T? fallback, string refusal) where T : struct, Enum =>
        Enum.GetNames<T>().FirstOrDefault(name => string.Equals(name, word, StringComparison.OrdinalIgnoreCase)) is { } name
            ? Enum.Parse<T>(name)
            : fallback ?? throw new RunSettingException(key, refusal);
}
