using StyleStudio.Training.Trainer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Adapters;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Training from the browser: the form starts a Hangfire job, the run page shows its steps live, the adapter lands in
/// the run's folder; and a run interrupted by the studio stopping continues from its checkpoint after a restart.
/// </summary>
[Collection(StudioServer.Collection)]
public class TrainingPagesTests
{
    static readonly DatasetRow[] Pairs =
    [
        new() { Instruction = "formal: Good morning.", Output = "morning!" },
        new() { Instruction = "formal: Thank you kindly.", Output = "thx!" },
        new() { Instruction = "formal: I decline.", Output = "nah" },
    ];

    static DataStore Store(StudioServer studio) => studio.Services.GetRequiredService<DataStore>();

    [Fact]
    public async Task A_run_started_in_the_form_streams_its_loss_and_saves_an_adapter()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");

        var page = await studio.OpenAsync("/training");
        await page.GetByLabel("Run name").FillAsync("casual r8");
        await StudioServer.ChooseAsync(page, "Base model", "qwen2");
        await page.GetByLabel("Learning rate").FillAsync("0.01");
        await page.GetByLabel("Epochs").FillAsync("30");
        await page.Locator("#advanced-settings .mud-expand-panel-header").ClickAsync();   // batch, device and precision are advanced
        await page.GetByLabel("Batch size").FillAsync("3");
        await page.GetByLabel("Gradient accumulation").FillAsync("1");
        await StudioServer.ChooseAsync(page, "Device", "cpu");
        await StudioServer.ChooseAsync(page, "Precision", "fp32");
        await page.Locator("#start-training").ClickAsync();

        try
        {
            await PageUrl.ExpectAsync(page, "**/runs/1");
        }
        catch (PlaywrightException)
        {
            var errors = await page.Locator("#start-error").AllTextContentsAsync();
            Assert.Fail("the run page did not open; the form says: " + (errors.Count > 0 ? string.Join(" / ", errors) : "no error") +
                        $"; the page is at {page.Url}; the studio logged:\n" + studio.LogTail());
        }
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed", new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#run-progress")).ToContainTextAsync("step 30 / 30");
        // Every step on the chart once: steps 1…30 in order, none lost while the page or the chart was being built.
        await page.WaitForFunctionAsync("() => document.getElementById('loss-chart').data[0].x.length >= 30");
        var plotted = await page.EvaluateAsync<int[]>("() => document.getElementById('loss-chart').data[0].x");
        Assert.Equal(Enumerable.Range(1, 30), plotted);

        var run = Store(studio).Runs.Get(1);
        var metrics = Store(studio).Runs.Metrics(1);
        Assert.Equal(Enumerable.Range(1, 30), metrics.Select(m => m.Step));
        Assert.True(metrics[^1].Loss < metrics[0].Loss / 3, $"loss {metrics[0].Loss:F3} → {metrics[^1].Loss:F3}");
        Assert.True(File.Exists(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)), run.Message);
        Assert.True(File.Exists(Path.Combine(run.OutputDir, PeftAdapter.WeightsFile)));
    }

    [Fact]
    public async Task A_run_interrupted_by_a_restart_continues_from_its_checkpoint()
    {
        string folder = Directory.CreateTempSubdirectory("studio-restart-").FullName;
        try
        {
            int runId;
            await using (var first = new StudioServer(folder))
            {
                Store(first).Create("casual", Pairs, "test");
                var settings = new StyleStudio.Training.Trainer.RunRequest
                {
                    LearningRate = 1e-2, NumTrainEpochs = 300, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1,
                    SaveSteps = 5, SaveTotalLimit = 2, Device = StyleStudio.Training.Runtime.DevicePreference.Cpu, Precision = StyleStudio.Training.Trainer.ComputePrecision.Float32,
                };
                runId = first.Services.GetRequiredService<StyleStudio.Application.Runs.TrainingRuns>().Start("long", "casual", "qwen2", settings).Id;
                await WaitForAsync(() => Store(first).Runs.Metrics(runId).Count >= 12, TimeSpan.FromMinutes(2));
            }   // the studio stops mid-run

            await using var second = new StudioServer(folder);
            var page = await second.OpenAsync($"/runs/{runId}");
            await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed", new() { Timeout = 300_000 });
            var run = Store(second).Runs.Get(runId);
            Assert.Contains("resumed from checkpoint-", run.Message);
            Assert.Equal(Enumerable.Range(1, 300), Store(second).Runs.Metrics(runId).Select(m => m.Step));   // each step once
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Cancel_stops_a_running_run_after_its_current_step()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var settings = new StyleStudio.Training.Trainer.RunRequest
        {
            NumTrainEpochs = 10_000, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1, Device = StyleStudio.Training.Runtime.DevicePreference.Cpu, Precision = StyleStudio.Training.Trainer.ComputePrecision.Float32,
        };
        int runId = studio.Services.GetRequiredService<StyleStudio.Application.Runs.TrainingRuns>().Start("endless", "casual", "qwen2", settings).Id;
        var page = await studio.OpenAsync($"/runs/{runId}");
        await Assertions.Expect(page.Locator("#run-progress")).ToContainTextAsync("step", new() { Timeout = 60_000 });
        await page.Locator("#cancel-run").ClickAsync();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Cancelled", new() { Timeout = 30_000 });
        Assert.InRange(Store(studio).Runs.Metrics(runId).Count, 1, 9_999);
    }

    [Fact]
    public async Task A_run_cannot_be_deleted_while_it_runs_and_is_deleted_with_its_folder_once_it_stopped()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var settings = new StyleStudio.Training.Trainer.RunRequest
        {
            NumTrainEpochs = 10_000, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1, SaveSteps = 1, Device = StyleStudio.Training.Runtime.DevicePreference.Cpu, Precision = StyleStudio.Training.Trainer.ComputePrecision.Float32,
        };
        var runs = studio.Services.GetRequiredService<StyleStudio.Application.Runs.TrainingRuns>();
        var run = runs.Start("endless", "casual", "qwen2", settings);
        var page = await studio.OpenAsync($"/runs/{run.Id}");
        await Assertions.Expect(page.Locator("#run-progress")).ToContainTextAsync("step", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#delete-run")).ToBeDisabledAsync();
        Assert.Contains("is running; cancel it first", Assert.Throws<InvalidOperationException>(() => runs.Delete(run.Id)).Message);
        Assert.Contains("is used by run", Assert.Throws<InvalidOperationException>(() => Store(studio).Delete("casual")).Message);

        await page.Locator("#cancel-run").ClickAsync();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Cancelled", new() { Timeout = 30_000 });
        Assert.NotEmpty(Directory.GetDirectories(run.OutputDir, "checkpoint-*"));
        await page.Locator("#delete-run").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync(run.OutputDir);
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/training$"));
        await Assertions.Expect(page.Locator("#run-list")).ToContainTextAsync("No runs yet");
        Assert.False(Directory.Exists(run.OutputDir));
        Assert.Empty(Store(studio).Runs.Metrics(run.Id));
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
