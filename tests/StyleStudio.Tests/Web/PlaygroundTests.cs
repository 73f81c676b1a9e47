using Microsoft.Playwright;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Templates;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Web;

/// <summary>The playground in a browser: a model loaded from the models folder, seeded sampling streamed to the page,
/// the same text the generator gives for the same settings.</summary>
[Collection(StudioServer.Collection)]
public class PlaygroundTests
{
    [Fact]
    public async Task Seeded_sampling_in_the_browser_gives_the_generators_text()
    {
        const string Message = "今天天气很好，我们去公园散步吧。";
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("/playground");
        await StudioServer.ChooseAsync(page, "Model", "qwen2");
        await page.Locator("#load-model").ClickAsync();
        await Assertions.Expect(page.Locator("#loaded-model")).ToContainTextAsync("loaded: qwen2 on cpu");

        await page.GetByLabel("Text to rewrite").FillAsync(Message);
        await page.GetByLabel("Max new tokens").FillAsync("12");
        await page.GetByLabel("Seed (optional)").FillAsync("7");
        await page.GetByLabel("Seed (optional)").PressAsync("Tab");
        // Field values reach the server asynchronously: generate only once the plan shows them.
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("up to 12 tokens · seed 7");
        await page.Locator("#generate").ClickAsync();
        await Assertions.Expect(page.Locator("#generation-stats")).ToContainTextAsync("tokens ·");

        // The page's defaults: temperature 0.7, top_p 0.9, top_k off, repetition penalty 1.1, qwen template.
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var prompt = TemplatedPrompt.Create(model, PromptTemplates.Qwen, Message);
        var options = new SamplingOptions { Temperature = 0.7, TopP = 0.9, RepetitionPenalty = 1.1, MaxNewTokens = 12, Seed = 7 };
        var expected = new TextGenerator(model, prompt.StopIds).Generate(prompt.Ids, options, cancellation: TestContext.Current.CancellationToken);
        Assert.Equal(expected.Text, await page.Locator("#output").TextContentAsync());
        await Assertions.Expect(page.Locator("#generation-stats")).ToContainTextAsync($"{expected.TokenIds.Count} tokens");
    }
}
