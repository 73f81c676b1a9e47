using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Generation;
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
        var run = await FinishedRun.TrainAsync(studio);

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
