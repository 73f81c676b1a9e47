namespace StyleStudio.Training.Trainer;

/// <summary>
/// Progress after one optimizer step, the one type every consumer takes: the CLI prints it, metrics.jsonl records it
/// (one line each, its fields in snake_case), the studio stores it per step and sends it to the run page and the training
/// hub. Adding a metric is a field here plus the places that choose to show it; the file, the store and the events
/// carry every field as it is.
/// </summary>
/// <param name="GradNorm">The gradient norm before clipping; null when it was not finite (an fp16 overflow).</param>
/// <param name="ElapsedSeconds">Training time so far in this attempt.</param>
/// <param name="RemainingSeconds">Estimated from the mean step time so far.</param>
/// <param name="EvalLoss">Set on steps where the validation set was evaluated.</param>
/// <param name="MemoryBytes">Device memory in use (GPU) or the process's resident memory (CPU); null when unknown.</param>
/// <param name="LossScale">fp16 runs: the loss scale after the step.</param>
/// <param name="Skipped">fp16 runs: the step's gradients overflowed and were thrown away.</param>
public sealed record TrainingEvent(
    int Step,
    int TotalSteps,
    double Epoch,
    double Loss,
    double LearningRate,
    double? GradNorm,
    double TokensPerSecond,
    double ElapsedSeconds,
    double RemainingSeconds,
    double? EvalLoss = null,
    long? MemoryBytes = null,
    double? LossScale = null,
    bool Skipped = false);
