using System.Text.Json;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// Appends each training event as one JSON line to <c>metrics.jsonl</c> in the run folder (flushed per line), every field
/// of <see cref="TrainingEvent"/> as it is (a gradient norm that overflowed is null there already).
/// Each step is in the file once, in order: a new run starts the file afresh, and a resumed run first cuts it back to its
/// checkpoint's step, since the steps after it (written before a kill or a stop) are trained again.
/// </summary>
public sealed class MetricsLog : IProgress<TrainingEvent>
{
    public const string FileName = "metrics.jsonl";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

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

    /// <summary>Appends the step as one JSON line: the event's own fields in snake_case (a diverged loss as "NaN").</summary>
    public void Report(TrainingEvent value)
    {
        Directory.CreateDirectory(runDirectory);
        File.AppendAllText(Path, JsonSerializer.Serialize(value, Json) + "\n");
    }
}
