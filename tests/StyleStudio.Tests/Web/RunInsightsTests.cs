using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Training;

namespace StyleStudio.Tests.Web;

/// <summary>The pure parts of reading runs: smoothing, thinning for display, failure advice, the settings diff, the CSV.</summary>
public class RunInsightsTests
{
    [Fact]
    public void Ema_matches_TensorBoards_debiased_smoothing_computed_by_hand()
    {
        // weight 0.5: last = 0.5·last + 0.5·value, divided by 1 − 0.5^n
        // n=1: 0.5 / 0.5 = 1;  n=2: (0.25 + 1) / 0.75 = 5/3;  n=3: (0.625 + 1.5) / 0.875 = 17/7
        var smoothed = MetricSeries.Ema([1.0, 2.0, 3.0], 0.5);
        Assert.Equal([1.0, 5.0 / 3, 17.0 / 7], smoothed, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal([4.0, 1.0, 7.0], MetricSeries.Ema([4.0, 1.0, 7.0], 0));
        var withNaN = MetricSeries.Ema([2.0, double.NaN, 2.0], 0.9);
        Assert.True(double.IsNaN(withNaN[1]));
        Assert.Equal(2.0, withNaN[2], 12);   // a constant series stays constant once debiased
    }

    [Fact]
    public void Downsampling_keeps_the_first_and_last_points_and_the_extremes_within_the_target()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 100_000).Select(i => 3.0 / (1 + i / 1000.0) + random.NextDouble() * 0.1).ToArray();
        values[31_337] = 50;     // a spike
        values[77_001] = -5;     // a dip
        var kept = MetricSeries.Downsample(values, 2000);

        Assert.InRange(kept.Count, 1000, 2000);
        Assert.Equal(0, kept[0]);
        Assert.Equal(values.Length - 1, kept[^1]);
        Assert.Contains(31_337, kept);
        Assert.Contains(77_001, kept);
        Assert.True(kept.Zip(kept.Skip(1)).All(pair => pair.First < pair.Second), "indices ascend without repeats");
        Assert.Equal(Enumerable.Range(0, 10), MetricSeries.Downsample(values[..10], 2000));
    }

    [Theory]
    [InlineData("training diverged at step 7: loss is not finite. Try a lower learning rate", RunFailureKind.Diverged)]
    [InlineData("loss is nan at step 3", RunFailureKind.Diverged)]
    [InlineData("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)", RunFailureKind.OutOfMemory)]
    [InlineData("failed 3 times; last error: DefaultCPUAllocator: can't allocate memory: you tried to allocate 123 bytes", RunFailureKind.OutOfMemory)]
    [InlineData("no model folder named 'qwen' in /data/models", RunFailureKind.MissingModel)]
    [InlineData("no dataset named 'casual'", RunFailureKind.MissingDataset)]
    [InlineData("failed 3 times; last error: /models/broken/config.json: '{' is invalid", RunFailureKind.BrokenModel)]
    [InlineData("something else entirely", RunFailureKind.Unknown)]
    [InlineData(null, RunFailureKind.Unknown)]
    public void A_failure_message_is_read_into_the_kind_that_has_advice(string? message, RunFailureKind kind) =>
        Assert.Equal(kind, RunFailure.Classify(message));

    [Fact]
    public void The_settings_diff_lists_only_what_differs_with_each_runs_value()
    {
        var a = Run(1, new RunRequest { LearningRate = 1e-4, LoraRank = 8 });
        var b = Run(2, new RunRequest { LearningRate = 2e-4, LoraRank = 8 });
        var differences = RunSettingsTable.Differences([a, b]);
        var only = Assert.Single(differences);
        Assert.Equal(RunSetting.LearningRate, only.Setting);
        Assert.Equal([1e-4.ToString("G"), 2e-4.ToString("G")], only.Values);
        Assert.Empty(RunSettingsTable.Differences([a, a]));

        var full = Run(3, new RunRequest { FineTuning = FineTuningType.Full, LearningRate = 1e-4 });
        var methods = RunSettingsTable.Differences([a, full]);
        Assert.Contains(methods, d => d.Setting == RunSetting.Method && d.Values.SequenceEqual(["LoRA", "full"]));
        Assert.Contains(methods, d => d.Setting == RunSetting.Rank && d.Values[1] == "—");   // a full run has no rank

        var offloaded = Run(4, new RunRequest { LearningRate = 1e-4, LoraRank = 8, OffloadCheckpoints = true });
        var plain = Run(5, new RunRequest { LearningRate = 1e-4, LoraRank = 8, GradientCheckpointing = false });
        var memory = Assert.Single(RunSettingsTable.Differences([a, offloaded, plain]));
        Assert.Equal(RunSetting.Checkpointing, memory.Setting);
        Assert.Equal(["✓", "✓ → CPU", "✗"], memory.Values);
    }

    [Fact]
    public void A_csv_line_holds_every_field_at_full_precision()
    {
        var metric = new TrainingEvent(12, 100, 0.12, 1.0 / 3, 2e-4, null, 1234.5, 60, 440, EvalLoss: 0.5, MemoryBytes: 1L << 33);
        Assert.Equal(11, RunDownloads.CsvHeader.Split(',').Length);
        var fields = RunDownloads.CsvLine(metric).Split(',');
        Assert.Equal(11, fields.Length);
        Assert.Equal("12", fields[0]);
        Assert.Equal(1.0 / 3, double.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("", fields[5]);
        Assert.Equal((1L << 33).ToString(), fields[10]);
    }

    static RunRecord Run(int id, RunRequest settings) => new(id, $"run {id}", "casual", 1, 1, "qwen2", settings,
        RunStatus.Completed, null, $"/runs/{id}", null, false, DateTime.UtcNow, null, null);
}
