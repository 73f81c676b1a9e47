using System.Text.Json;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// Appends each training event as one JSON line to <c>metrics.jsonl</c> in the run folder (flushed per line). A gradient
/// norm that overflowed (a skipped fp16 step), or a non-finite eval loss, is written as null: JSON has no infinity.
/// Each step is in the file once, in order: a new run starts the file afresh, and a resumed run first cuts it back to its
/// checkpoint's step, since the steps after it (written before a kill or a stop) are trained again.
/// </summary>
public sealed class MetricsLog : IProgress<TrainingEvent>
{
    public const string FileName = "metrics.jsonl";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    readonly string runDirectory;

    public string Path { get; }

    MetricsLog(string runDirectory)
    {
        this.runDirectory = runDirectory;
        Path = System.IO.Path.Combine(runDirectory, FileName);
    }

    /// <summary>The log of a run from step 1: a file left by an earlier run in the folder is deleted.</summary>
    public static MetricsLog StartNew(string runDirectory)
    {
        var log = new MetricsLog(runDirectory);
        if (File.Exists(log.Path)) File.Delete(log.Path);
        return log;
    }

    /// <summary>
    /// The log of a run resumed from a checkpoint after <paramref name="step"/> steps: lines of later steps, and a line
    /// cut short by a kill, are dropped. The kept lines go to a temporary file that replaces the log in one rename, so a
    /// kill during the cut leaves the old file or the cut one, never half of it.
    /// </summary>
    public static MetricsLog ContinueAfter(string runDirectory, int step)
    {
        var log = new MetricsLog(runDirectory);
        if (!File.Exists(log.Path)) return log;
        var kept = File.ReadLines(log.Path).Where(line => StepOf(line) is { } s && s <= step).ToList();
        string temp = log.Path + ".tmp";
        File.WriteAllLines(temp, kept);
        File.Move(temp, log.Path, overwrite: true);
        return log;
    }

    /// <summary>The step a line records; null for a line that is not a complete JSON object with a step.</summary>
    static int? StepOf(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.TryGetProperty("step", out var step) && step.TryGetInt32(out int value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

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
