namespace StyleStudio.Training.Trainer;

/// <summary>Learning-rate schedule after warmup.</summary>
public enum ScheduleKind
{
    Cosine,
    Linear,
    Constant,
}

/// <summary>Optimizer and loop settings. Defaults follow LLaMA-Factory's web UI where it has one.</summary>
public sealed record TrainingOptions
{
    /// <summary>Peak learning rate. Defaults to 5e-5.</summary>
    public double LearningRate { get; init; } = 5e-5;

    /// <summary>Passes over the training set. Defaults to 3.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Examples per forward pass. Defaults to 2.</summary>
    public int BatchSize { get; init; } = 2;

    /// <summary>Forward passes per optimizer step. Defaults to 8.</summary>
    public int GradientAccumulation { get; init; } = 8;

    /// <summary>Share of all steps spent warming up linearly from 0 (ignored when WarmupSteps is set). Defaults to 0.</summary>
    public double WarmupRatio { get; init; }

    /// <summary>Warmup steps; overrides WarmupRatio. Defaults to none.</summary>
    public int? WarmupSteps { get; init; }

    /// <summary>Decay after warmup. Defaults to cosine.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;

    /// <summary>Gradients are clipped to this global L2 norm; 0 disables. Defaults to 1.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>AdamW decoupled weight decay, applied to matrices only (not to norms, biases or DoRA magnitudes). Defaults to 0.</summary>
    public double WeightDecay { get; init; }

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>
    /// Seed for shuffling and dropout; equal seeds on CPU give bit-identical runs. Dropout draws from libtorch's
    /// process-wide generator, which a run reseeds, so this holds for one training run per process at a time (the
    /// studio runs one job per device). Defaults to 42.
    /// </summary>
    public long Seed { get; init; } = 42;

    /// <summary>Stop after this many optimizer steps even if epochs remain. Defaults to none.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>
    /// Pack examples into rows of this many tokens (each example still attends only to itself); null trains one example
    /// per row. Defaults to null.
    /// </summary>
    public int? PackLength { get; init; }

    /// <summary>Evaluate on the validation set every this many steps (and after the last); 0 evaluates after the last only. Defaults to 0.</summary>
    public int EvalEverySteps { get; init; }

    /// <summary>Stop when validation loss has not improved for this many evaluations; null never stops early. Defaults to null.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>
    /// On CUDA, replay each micro-batch's forward and backward from a CUDA graph (see <see cref="MicroBatchGraphs"/>)
    /// where the run allows it: no adapter dropout, checkpoints kept on the device. Micro-batches are then padded to a
    /// few fixed shapes. Defaults to true.
    /// </summary>
    public bool CudaGraphs { get; init; } = true;
    /// <summary>Starting loss scale of fp16 training (ignored in other precisions). Defaults to 65536, as torch's GradScaler.</summary>
    public double InitialLossScale { get; init; } = LossScaler.InitialScale;

    public void Validate()
    {
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "train for at least one epoch");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be at least 1");
        if (GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), GradientAccumulation, "gradient accumulation must be at least 1");
        if (WarmupRatio is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(WarmupRatio), WarmupRatio, "warmup ratio must be in [0, 1)");
        if (EvalEverySteps < 0) throw new ArgumentOutOfRangeException(nameof(EvalEverySteps), EvalEverySteps, "eval interval must be 0 or positive");
        if (EarlyStoppingPatience is < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "patience must be at least 1");
        if (InitialLossScale <= 0) throw new ArgumentOutOfRangeException(nameof(InitialLossScale), InitialLossScale, "loss scale must be positive");
        if (MaxGradNorm < 0) throw new ArgumentOutOfRangeException(nameof(MaxGradNorm), MaxGradNorm, "max grad norm must be 0 (off) or positive");
    }
}
