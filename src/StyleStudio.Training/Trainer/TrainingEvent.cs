namespace StyleStudio.Training.Trainer;

/// <summary>
/// Progress after one optimizer step: what the CLI prints, the studio charts and metrics.jsonl records.
/// <see cref="EvalLoss"/> is set on steps where the validation set was evaluated; <see cref="MemoryBytes"/> is the
/// device memory in use (GPU) or the process's resident memory (CPU), null when unknown. In fp16 runs
/// <see cref="LossScale"/> is the loss scale after the step and <see cref="Skipped"/> marks a step whose gradients
/// overflowed and were thrown away.
/// </summary>
public sealed record TrainingEvent(
    int Step,
    int TotalSteps,
    double Epoch,
    double Loss,
    double LearningRate,
    double GradNorm,
    double TokensPerSecond,
    TimeSpan Elapsed,
    TimeSpan Remaining,
    double? EvalLoss = null,
    long? MemoryBytes = null,
    double? LossScale = null,
    bool Skipped = false);
