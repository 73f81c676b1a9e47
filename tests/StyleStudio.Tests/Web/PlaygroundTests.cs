using System.Net.Http.Json;
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

    [Fact]
    public async Task The_text_reaches_the_studio_as_it_is_typed_and_generate_waits_for_it()
    {
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("/playground");
        await StudioServer.ChooseAsync(page, "Model", "qwen2");
        // Nothing to rewrite: nothing to generate (an empty message had the model answer an empty turn).
        await Assertions.Expect(page.Locator("#generate")).ToBeDisabledAsync();
        // Typed and still focused — no blur, so no change event: the studio has the text all the same.
        var text = page.GetByLabel("Text to rewrite");
        await text.FillAsync("Tell me about the sea.");
        await Assertions.Expect(page.Locator("#generate")).ToBeEnabledAsync();
        Assert.True(await text.EvaluateAsync<bool>("e => e === document.activeElement"), "the text field lost its focus");
    }
}

/// <summary>The playground on a models folder with PEFT adapters: an adapter is chosen by its id, its strength moved with
/// the keyboard, and the streamed text is what the API gives for the same request.</summary>
[Collection(StudioServer.Collection)]
public sealed class PlaygroundAdapterTests : IAsyncDisposable
{
    readonly string models = Directory.CreateTempSubdirectory("playground-models-").FullName;
    readonly StudioServer studio;

    public PlaygroundAdapterTests()
    {
        AdapterModelsFolder.Create(models);
        studio = new StudioServer(modelsFolder: models);
    }

    [Fact]
    public async Task An_adapter_at_a_chosen_strength_streams_what_the_api_answers()
    {
        const string Message = "Tell me about the sea.";
        var page = await studio.OpenAsync("/playground");
        await StudioServer.ChooseAsync(page, "Model", "qwen2:dora-r4");
        await page.GetByLabel("Text to rewrite").FillAsync(Message);
        await page.GetByLabel("Max new tokens").FillAsync("12");
        await page.GetByLabel("Seed (optional)").FillAsync("11");
        await page.GetByLabel("Seed (optional)").PressAsync("Tab");
        // Two steps down from 1.00 (step 0.05) with the keyboard, as a user without a mouse would.
        var slider = page.Locator("input[type=range]#style-strength, #style-strength input[type=range]").First;
        await slider.FocusAsync();
        await slider.PressAsync("ArrowLeft");
        await slider.PressAsync("ArrowLeft");
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("up to 12 tokens · seed 11 · strength 0.90");
        await page.Locator("#generate").ClickAsync();
        await Assertions.Expect(page.Locator("#generation-stats")).ToContainTextAsync("tokens ·");

        using var http = new HttpClient { BaseAddress = studio.Address };
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "qwen2:dora-r4", messages = new[] { new { role = "user", content = Message } }, max_tokens = 12, seed = 11,
            temperature = 0.7, top_p = 0.9, repetition_penalty = 1.1, style_strength = 0.9,
        }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);
        string expected = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(expected, await page.Locator("#output").TextContentAsync());

        // At strength 0 the same request differs: the strength reaches the engine.
        var none = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "qwen2:dora-r4", messages = new[] { new { role = "user", content = Message } }, max_tokens = 12, seed = 11,
            temperature = 0.7, top_p = 0.9, repetition_penalty = 1.1, style_strength = 0.0,
        }, TestContext.Current.CancellationToken);
        var noneBody = await none.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestContext.Current.CancellationToken);
        Assert.NotEqual(expected, noneBody.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    public async ValueTask DisposeAsync()
    {
        await studio.DisposeAsync();
        Directory.Delete(models, recursive: true);
    }
}
