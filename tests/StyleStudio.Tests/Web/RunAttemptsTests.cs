using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Training;

namespace StyleStudio.Tests.Web;

/// <summary>
/// A run gets a bounded number of attempts (Studio:MaxRunAttempts, 3 by default): a job that keeps failing, or a studio
/// that keeps dying mid-run, ends with the run Failed and its error on the run page, and a restart does not queue it again.
/// </summary>
[Collection(StudioServer.Collection)]
public class RunAttemptsTests
{
    static readonly DatasetRow[] Pairs =
    [
        new() { Instruction = "formal: Good morning.", Output = "morning!" },
        new() { Instruction = "formal: Thank you kindly.", Output = "thx!" },
    ];

    static readonly RunRequest Short = new()
    {
        MaxSteps = 2, PerDeviceTrainBatchSize = 2, GradientAccumulationSteps = 1, Device = StyleStudio.Training.Runtime.DevicePreference.Cpu, Precision = StyleStudio.Training.Trainer.ComputePrecision.Float32,
    };

    static DataStore Store(StudioServer studio) => studio.Services.GetRequiredService<DataStore>();

    [Fact]
    public async Task A_run_whose_job_keeps_failing_is_Failed_after_three_attempts_and_stays_so_after_a_restart()
    {
        string data = Directory.CreateTempSubdirectory("studio-attempts-").FullName;
        string models = Directory.CreateTempSubdirectory("studio-attempts-models-").FullName;
        try
        {
            // A model folder the catalog offers (it has a config.json) but that fails to load in the job.
            string broken = Directory.CreateDirectory(Path.Combine(models, "broken")).FullName;
            foreach (var file in Directory.GetFiles(Fixtures.Model("qwen2"))) File.Copy(file, Path.Combine(broken, Path.GetFileName(file)));
            File.WriteAllText(Path.Combine(broken, "config.json"), "{ \"model_type\": ");

            int runId;
            await using (var studio = new StudioServer(data, models))
            {
                Store(studio).Create("casual", Pairs, "test");
                runId = studio.Services.GetRequiredService<TrainingRuns>().Start("broken", "casual", "broken", Short).Id;
                await WaitForAsync(() => Store(studio).Runs.Get(runId).Status == RunStatus.Failed, TimeSpan.FromMinutes(2));
                var run = Store(studio).Runs.Get(runId);
                Assert.Equal(3, run.Attempts);
                Assert.StartsWith("failed 3 times; last error: ", run.Message);
                Assert.Contains("config.json", run.Message);

                var page = await studio.OpenAsync($"/runs/{runId}");
                await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Failed");
                await Assertions.Expect(page.Locator("#run-message")).ToContainTextAsync("failed 3 times; last error: ");
            }

            await using (var restarted = new StudioServer(data, models))
            {
                await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);   // time for a re-queued job to start
                var run = Store(restarted).Runs.Get(runId);
                Assert.Equal(RunStatus.Failed, run.Status);
                Assert.Equal(3, run.Attempts);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            Directory.Delete(models, recursive: true);
        }
    }

    /// <summary>
    /// What a studio killed mid-run leaves behind: the run marked Running with the attempts it had started. With attempts
    /// to spare, startup recovery continues the run; with none left (it died in each), the run is Failed, not re-queued.
    /// </summary>
    [Theory]
    [InlineData(3, RunStatus.Failed)]
    [InlineData(1, RunStatus.Completed)]
    public async Task Startup_recovery_requeues_a_run_the_studio_died_in_only_while_it_has_attempts_left(int attempts, RunStatus expected)
    {
        string data = Directory.CreateTempSubdirectory("studio-died-").FullName;
        try
        {
            int runId;
            using (var store = DataStore.Open(data))
            {
                var dataset = store.Create("casual", Pairs, "test");
                runId = store.Runs.Create("crashing", dataset, "qwen2", Short).Id;
                for (int i = 0; i < attempts; i++) store.Runs.BeginAttempt(runId);
                // Steps the attempt recorded before the studio died, ahead of its first checkpoint: they are trained again.
                for (int step = 1; step <= 2; step++)
                    store.Runs.AddMetric(runId, new TrainingEvent(step, 2, step / 2.0, 99, 1e-4, 1, 1, step, 0));
                store.Runs.MarkRunning(runId, "training");
            }

            await using var studio = new StudioServer(data);
            var page = await studio.OpenAsync($"/runs/{runId}");
            await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync(expected.ToString(), new() { Timeout = 60_000 });
            var run = Store(studio).Runs.Get(runId);
            if (expected == RunStatus.Failed)
            {
                Assert.Equal(attempts, run.Attempts);
                await Assertions.Expect(page.Locator("#run-message")).ToContainTextAsync($"interrupted {attempts} times");
                Assert.Equal([1, 2], Store(studio).Runs.Metrics(runId).Select(m => m.Step));   // never trained again
            }
            else
            {
                Assert.Equal(attempts + 1, run.Attempts);
                var metrics = Store(studio).Runs.Metrics(runId);
                Assert.Equal([1, 2], metrics.Select(m => m.Step));   // each step once: the dead attempt's steps were replaced
                Assert.DoesNotContain(metrics, m => m.Loss == 99);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    static async Task WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not reached within {limit}");
            await Task.Delay(200);
        }
    }
}
