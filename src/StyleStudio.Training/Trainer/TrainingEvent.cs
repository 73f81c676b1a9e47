namespace StyleStudio.Training.Trainer;

/// <summary>Progress after one optimizer step: what the CLI prints, the studio charts and metrics.jsonl records.</summary>
public sealed record TrainingEvent(
    int Step,
    int TotalSteps,
    double Epoch,
    double Loss,
    double LearningRate,
    double GradNorm,
    double TokensPerSecond,
    TimeSpan Elapsed,
    TimeSpan Remaining);
