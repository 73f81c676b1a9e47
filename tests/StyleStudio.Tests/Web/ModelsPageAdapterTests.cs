using Microsoft.Playwright;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The Models page shows PEFT adapters under their base model, and those it cannot attach apart with their problem.</summary>
[Collection(StudioServer.Collection)]
public sealed class ModelsPageAdapterTests : IDisposable
{
    readonly string modelsFolder = Directory.CreateTempSubdirectory("studio-adapters-").FullName;

    public ModelsPageAdapterTests() => AdapterModelsFolder.Create(modelsFolder);

    [Fact]
    public async Task Adapters_are_shown_under_their_base_and_the_unattached_ones_with_their_problem()
    {
        await using var studio = new StudioServer(modelsFolder: modelsFolder);
        var page = await studio.OpenAsync("/models");

        var rows = page.Locator("#model-list tbody tr");
        await Assertions.Expect(rows.Filter(new() { HasText = "Qwen2ForCausalLM" })).ToHaveCountAsync(1);
        // The base's row, then one row per adapter right under it; no adapter folder is listed as a model.
        var texts = await rows.AllInnerTextsAsync();
        int baseRow = texts.ToList().FindIndex(t => t.Contains("Qwen2ForCausalLM"));
        Assert.Equal(["qwen2:dora-r4", "qwen2:lora-r4", "qwen2:lora-r8"], texts.Skip(baseRow + 1).Select(t => t.Split(['\t', '\n'])[0].Trim()));
        Assert.Equal(4, texts.Count);

        var dora = page.Locator("#model-list tr.adapter-row[data-adapter='qwen2:dora-r4']");
        await Assertions.Expect(dora.Locator(".adapter-kind")).ToHaveTextAsync("DoRA");
        await Assertions.Expect(dora).ToContainTextAsync("rank 4");
        await Assertions.Expect(dora.Locator(".adapter-loads")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#model-list tr.adapter-row[data-adapter='qwen2:lora-r8']")).ToContainTextAsync("rank 8 · alpha 16");

        var unattached = page.Locator("#unattached-adapters");
        await Assertions.Expect(unattached.Locator("tr.adapter-row[data-adapter='?:broken'] .adapter-problem")).ToContainTextAsync("not valid JSON");
        await Assertions.Expect(unattached.Locator("tr.adapter-row[data-adapter='Qwen2.5-0.5B-Instruct:orphan'] .adapter-problem"))
            .ToContainTextAsync("needs the base model 'Qwen2.5-0.5B-Instruct'");
        await Assertions.Expect(unattached.Locator(".adapter-broken")).ToHaveCountAsync(2);
    }

    public void Dispose() => Directory.Delete(modelsFolder, recursive: true);
}
