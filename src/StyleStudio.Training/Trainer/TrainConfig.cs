namespace StyleStudio.Training.Trainer;

/// <summary>
/// A fine-tuning run's settings with LLaMA-Factory's names (model_name_or_path, lora_rank, learning_rate, …): the CLI reads
/// them from YAML run files (so LLaMA-Factory's carry over), the studio's training form edits them, and the studio stores
/// them with each run. <see cref="FineTuneRun"/> carries them out.
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
    /// <summary>auto (bf16 on GPU, fp32 on CPU), float32, bfloat16 or float16; LLaMA-Factory's bf16 / fp16 flags override it.</summary>
    public string Dtype { get; set; } = "auto";
    public bool Bf16 { get; set; }
    /// <summary>fp16 base with fp32 adapters and dynamic loss scaling (for GPUs without bf16).</summary>
    public bool Fp16 { get; set; }
    /// <summary>4 loads the frozen base in NF4 (QLoRA); null keeps it in the compute dtype.</summary>
    public int? QuantizationBit { get; set; }
    /// <summary>LLaMA-Factory checkpoints activations by default; this turns it off (faster, more memory).</summary>
    public bool DisableGradientCheckpointing { get; set; }

    /// <summary>The compute dtype after the bf16 / fp16 flags.</summary>
    public string ResolveDtype() => (Bf16, Fp16) switch
    {
        (true, true) => throw new ArgumentException("set at most one of bf16 and fp16"),
        (true, false) => "bfloat16",
        (false, true) => "float16",
        _ => Dtype,
    };
}
