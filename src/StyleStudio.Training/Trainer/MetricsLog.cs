using System.Text.Json;

namespace StyleStudio.Training.Trainer;

/// <summary>Appends each training event as one JSON line to <c>metrics.jsonl</c> in the run folder (flushed per line).</summary>
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
            value.GradNorm,
            value.TokensPerSecond,
            ElapsedSeconds = value.Elapsed.TotalSeconds,
            RemainingSeconds = value.Remaining.TotalSeconds,
            value.EvalLoss,
            value.MemoryBytes,
        }, Json);
        File.AppendAllText(Path, line + "\n");
    }
}
