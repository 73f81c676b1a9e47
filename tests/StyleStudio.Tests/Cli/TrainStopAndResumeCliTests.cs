using System.Text.Json;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Cli;

/// <summary>
/// A CLI run stopped midway — by Ctrl+C (SIGINT) or SIGTERM, which save a checkpoint, or by SIGKILL, which saves nothing —
/// and continued with --resume records every step once, in order, in metrics.jsonl.
/// </summary>
public sealed class TrainStopAndResumeCliTests : IDisposable
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    readonly string folder = Directory.CreateTempSubdirectory("stylestudio-cli-stop-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Output => Path.Combine(folder, "run");
    string MetricsFile => Path.Combine(Output, MetricsLog.FileName);

    /// <summary>A run far longer than any test waits (the resume sets --max-steps), checkpointing every <paramref name="saveSteps"/>.</summary>
    string WriteRun(int saveSteps)
    {
        File.WriteAllLines(Path.Combine(folder, "data.jsonl"),
        [
            """{"instruction": "Rewrite casually", "input": "The meeting has been cancelled.", "output": "meeting's off!"}""",
            """{"instruction": "Rewrite casually", "input": "I am unable to attend.", "output": "can't make it"}""",
        ]);
        string config = Path.Combine(folder, "run.yaml");
        File.WriteAllText(config, $"""
            model_name_or_path: {Fixtures.Model("qwen2")}
            dataset: {Path.Combine(folder, "data.jsonl")}
            output_dir: {Output}
            lora_rank: 4
            num_train_epochs: 100000
            per_device_train_batch_size: 2
            save_steps: {saveSteps}
            logging_steps: 1
            device: cpu
            """);
        return config;
    }

    List<int> LoggedSteps() => !File.Exists(MetricsFile) ? []
        : File.ReadAllLines(MetricsFile).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToList();

    /// <summary>Complete lines in metrics.jsonl so far (a line being written is not counted).</summary>
    int CompleteLines() => !File.Exists(MetricsFile) ? 0 : File.ReadAllText(MetricsFile).Count(c => c == '\n');

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public void A_stop_signal_finishes_the_step_saves_a_checkpoint_and_resume_logs_each_step_once(string signal, int exitCode)
    {
        string config = WriteRun(saveSteps: 1000);
        using (var train = new CliProcess("train", "--config", config))
        {
            train.WaitUntil(() => CompleteLines() >= 3, Limit);
            train.Signal(signal);
            Assert.Equal(exitCode, train.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Contains("stopping after the current step and saving a checkpoint", train.Stderr);
            Assert.Contains("continue with --resume", train.Stdout);
        }
        var steps = LoggedSteps();
        int stoppedAt = steps[^1];
        Assert.Equal(Enumerable.Range(1, stoppedAt), steps);
        Assert.Equal([$"checkpoint-{stoppedAt}"], TrainingCheckpoint.List(Output).Select(Path.GetFileName));

        var resumed = CliRunner.Run("train", "--config", config, "--resume", "--max-steps", (stoppedAt + 3).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains($"resuming checkpoint-{stoppedAt}", resumed.Stdout);
        Assert.Equal(Enumerable.Range(1, stoppedAt + 3), LoggedSteps());
    }

    /// <summary>
    /// SIGKILL lands anywhere: between a step's metrics line and its checkpoint, during a checkpoint, right after one. With
    /// a checkpoint every 2 steps and kills after different numbers of lines, the resumed run re-trains the steps after
    /// its checkpoint and the file still holds each step once.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    public void A_killed_run_resumed_logs_each_step_once_in_order(int linesBeforeKill)
    {
        string config = WriteRun(saveSteps: 2);
        using (var train = new CliProcess("train", "--config", config))
        {
            train.WaitUntil(() => CompleteLines() >= linesBeforeKill, Limit);
            train.Kill();
        }
        int logged = CompleteLines();
        Assert.NotEmpty(TrainingCheckpoint.List(Output));

        int total = logged + 4;
        var resumed = CliRunner.Run("train", "--config", config, "--resume", "--max-steps", total.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(Enumerable.Range(1, total), LoggedSteps());
    }

    [Fact]
    public void A_run_killed_before_its_first_checkpoint_resumes_from_step_1_with_a_new_metrics_file()
    {
        string config = WriteRun(saveSteps: 100_000);
        using (var train = new CliProcess("train", "--config", config))
        {
            train.WaitUntil(() => CompleteLines() >= 2, Limit);
            train.Kill();
        }
        Assert.Empty(TrainingCheckpoint.List(Output));

        var resumed = CliRunner.Run("train", "--config", config, "--resume", "--max-steps", "3");
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("no checkpoint", resumed.Stdout);
        Assert.Contains("training from step 1", resumed.Stdout);
        Assert.Equal([1, 2, 3], LoggedSteps());
    }

    [Fact]
    public void Resuming_cuts_metrics_back_to_the_checkpoint_dropping_later_steps_and_a_line_cut_short()
    {
        Directory.CreateDirectory(Output);
        File.WriteAllText(MetricsFile, string.Concat(Enumerable.Range(1, 5).Select(s => $"{{\"step\":{s},\"loss\":1}}\n")) + "{\"step\":6,\"lo");

        MetricsLog.ContinueAfter(Output, 3);

        Assert.Equal([1, 2, 3], LoggedSteps());
        Assert.False(File.Exists(MetricsFile + ".tmp"));
    }

    [Fact]
    public void A_new_run_in_a_folder_with_only_an_old_metrics_file_starts_the_file_afresh()
    {
        Directory.CreateDirectory(Output);
        File.WriteAllText(MetricsFile, "{\"step\":1,\"loss\":9}\n{\"step\":2,\"loss\":9}\n");   // killed before its first checkpoint

        var run = CliRunner.Run("train", "--config", WriteRun(saveSteps: 1000), "--max-steps", "2");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal([1, 2], LoggedSteps());
        Assert.DoesNotContain("\"loss\":9", File.ReadAllText(MetricsFile));
    }
}
