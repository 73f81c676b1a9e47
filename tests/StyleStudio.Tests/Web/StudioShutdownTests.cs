using StyleStudio.Training.Runtime;
using System.Text.RegularExpressions;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Web;

/// <summary>
/// SIGTERM (docker stop, systemd) on a studio that is training: the job finishes its step and saves a checkpoint, the
/// run is left queued to continue (not cancelled, no attempt used up), and the process exits 0 within seconds.
/// </summary>
public partial class StudioShutdownTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigterm_checkpoints_the_training_run_and_exits_0_within_seconds()
    {
        string data = Directory.CreateTempSubdirectory("studio-sigterm-").FullName;
        int runId;
        using (var store = DataStore.Open(data))
        {
            // A run the previous process left running: startup recovery queues it, so it trains as soon as the studio is up.
            var dataset = store.Create("casual", [new DatasetRow { Instruction = "formal: Good morning.", Output = "morning!" },
                                                  new DatasetRow { Instruction = "formal: I decline.", Output = "nah" }], "test");
            runId = store.Runs.Create("long", dataset, "qwen2", new RunRequest
            {
                NumTrainEpochs = 100_000, PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 1, SaveSteps = 100_000,
                Device = DevicePreference.Cpu, Precision = ComputePrecision.Float32,
            }).Id;
            store.Runs.MarkRunning(runId, "training");
        }

        // The studio as Docker runs it (`dotnet StyleStudio.Web.dll`), from the build beside the tests.
        await using var studio = await StudioProcess.StartAsync(
            $"dotnet StyleStudio.Web.dll --Studio:ModelsFolder={Path.Combine(Fixtures.Root, "models")}",
            AppContext.BaseDirectory, TimeSpan.FromMinutes(2), data);
        using var http = new HttpClient { BaseAddress = studio.Address };
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (StepShown(await http.GetStringAsync($"/runs/{runId}", Cancel)) < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "the run did not reach step 3:\n" + studio.Output);
            await Task.Delay(200, Cancel);
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        int? exitCode = await studio.TerminateAsync(TimeSpan.FromSeconds(20));
        Assert.True(exitCode == 0, $"exit code {exitCode?.ToString() ?? "none (still running)"} after {stopwatch.Elapsed}:\n{studio.Output}");

        using var after = DataStore.Open(data);
        var run = after.Runs.Get(runId);
        Assert.Equal(RunStatus.Queued, run.Status);
        Assert.Contains("interrupted", run.Message);
        Assert.Equal(0, run.Attempts);   // a clean stop is not a failed attempt
        var steps = after.Runs.Metrics(runId).Select(m => m.Step).ToList();
        Assert.Equal(Enumerable.Range(1, steps.Count), steps);
        Assert.Equal([$"checkpoint-{steps[^1]}"], TrainingCheckpoint.List(run.OutputDir).Select(Path.GetFileName));
    }

    static int StepShown(string html) => ProgressStep().Match(html) is { Success: true } match ? int.Parse(match.Groups[1].Value) : 0;

    [GeneratedRegex(@"step (\d+) / \d+")]
    private static partial Regex ProgressStep();
}
