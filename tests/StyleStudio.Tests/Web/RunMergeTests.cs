using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Training;

namespace StyleStudio.Tests.Web;

/// <summary>Merging a finished run's adapter into a full model from its run page, as a user does in Chinese.</summary>
[Collection(StudioServer.Collection)]
public sealed class RunMergeTests : IDisposable
{
    readonly string models = Directory.CreateTempSubdirectory("merge-models-").FullName;

    public void Dispose() => Directory.Delete(models, recursive: true);

    [Fact]
    public async Task A_merged_run_becomes_a_model_that_answers_as_the_adapter_did()
    {
        AdapterModelsFolder.Create(models);
        await using var studio = new StudioServer(modelsFolder: models);
        var store = studio.Services.GetRequiredService<DataStore>();
        store.Create("口语", [
            new DatasetRow { Instruction = "formal: Good morning.", Output = "morning!" },
            new DatasetRow { Instruction = "formal: Thank you kindly.", Output = "thx!" },
            new DatasetRow { Instruction = "formal: I decline.", Output = "nah" },
        ], "test");
        var run = studio.Services.GetRequiredService<TrainingRuns>().Start("口语 r8", "口语", "qwen2", new TrainConfig
        {
            LearningRate = 1e-2, NumTrainEpochs = 6, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1, Device = "cpu", Dtype = "float32",
        });
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (store.Runs.Get(run.Id).Status is RunStatus.Queued or RunStatus.Running && DateTime.UtcNow < deadline) await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.Equal(RunStatus.Completed, store.Runs.Get(run.Id).Status);

        var page = await studio.OpenAsync($"runs/{run.Id}", PageLanguage.Chinese);
        await page.Locator("#run-merge").ClickAsync();
        var state = page.Locator("#run-merge-state[data-done='true']");
        await Assertions.Expect(state).ToContainTextAsync("已合并为", new() { Timeout = 120_000 });
        await PageLanguage.AssertTranslatedAsync(page);

        string merged = $"qwen2-run{run.Id}-merged";
        Assert.True(File.Exists(Path.Combine(models, merged, "config.json")));
        Assert.DoesNotContain(Directory.EnumerateDirectories(models), folder => Path.GetFileName(folder).EndsWith(".partial"));

        // The merged checkpoint is a base of its own, and answers greedily as the run's adapter on its base did.
        var generation = studio.Services.GetRequiredService<GenerationService>();
        Assert.Contains(generation.Models(), m => m.Id == merged && m.AdapterFolder is null && m.Problem is null);
        async Task<int[]> Greedy(string model) => [.. (await generation.GenerateAsync(new GenerationRequest
        {
            Model = model, Template = "qwen", Messages = [new ChatTurn("user", "formal: Good morning.")],
            Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 8 },
        }, TestContext.Current.CancellationToken)).Tokens.Select(t => t.Id)];
        Assert.Equal(await Greedy($"run-{run.Id}"), await Greedy(merged));

        // A second merge names a new folder; the first stays.
        await page.Locator("#run-merge").ClickAsync();
        await Assertions.Expect(page.Locator("#run-merge-state[data-done='true']")).ToContainTextAsync($"{merged}-2", new() { Timeout = 120_000 });
        Assert.True(Directory.Exists(Path.Combine(models, merged)));
    }
}
