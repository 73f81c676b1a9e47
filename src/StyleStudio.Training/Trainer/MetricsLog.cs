using System.Text.Json;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// Appends each training event as one JSON line to <c>metrics.jsonl</c> in the run folder (flushed per line). A gradient
/// norm that overflowed (a skipped fp16 step), or a non-finite eval loss, is written as null: JSON has no infinity.
/// </summary>
public sealed class MetricsLog(string runDirectory) : IProgress<TrainingEvent>
{
    public const string FileName = "metrics.jsonl";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Path { get; } = System.IO.Path.Combine(runDirectory, FileName);

    public void Report(TrainingEvent value)
    {
        Directory.CreateDirectory(runDirectory);
        var line = JsonSerializer.Serialize(new
        {
            value.Step,
            value.TotalSteps,
            value.Epoch,
            value.Loss,
            value.LearningRate,
            GradNorm = double.IsFinite(value.GradNorm) ? value.GradNorm : (double?)null,
            value.TokensPerSecond,
            ElapsedSeconds = value.Elapsed.TotalSeconds,
            RemainingSeconds = value.Remaining.TotalSeconds,
            EvalLoss = value.EvalLoss is { } eval && double.IsFinite(eval) ? eval : (double?)null,
            value.MemoryBytes,
            value.LossScale,
            value.Skipped,
        }, Json);
        File.AppendAllText(Path, line + "\n");
    }
}
