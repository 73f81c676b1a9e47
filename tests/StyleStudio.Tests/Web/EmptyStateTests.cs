using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>A newcomer's studio: no model yet. Every page that needs one says so and leads to the Models page, with the
/// suggested first model one click away — here served by a local server speaking the Hugging Face protocol.</summary>
[Collection(StudioServer.Collection)]
public class EmptyStateTests
{
    [Fact]
    public async Task Every_page_that_needs_a_model_leads_to_the_Models_page_with_a_suggestion()
    {
        string noModels = Directory.CreateTempSubdirectory("no-models-").FullName;
        await using var hub = new LocalHub();
        hub.Add("Qwen/Qwen2.5-0.5B-Instruct", new(Fixtures.Model("qwen2")));
        await using var studio = new StudioServer(modelsFolder: noModels,
            settings: new Dictionary<string, string> { ["Studio:HuggingFaceEndpoint"] = hub.Endpoint.ToString() });
        string dataset = studio.Services.GetRequiredService<DataStore>().Create("pairs",
            [new DatasetRow { Instruction = "改写为古风", Input = "今天天气很好。", Output = "今日天朗气清。" }], "test").Name;

        foreach (var (path, tab) in new (string, string?)[] { ("/training", null), ("/playground", null), ("/evaluation", null), ($"/datasets/{dataset}", "Preview") })
        {
            var page = await studio.OpenAsync(path);
            if (tab is not null) await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
            var hint = page.Locator("#no-model-hint");
            await Assertions.Expect(hint).ToContainTextAsync("There is no model in the studio yet", new() { Timeout = 10_000 });
            await Assertions.Expect(hint.Locator("#no-model-models-link")).ToHaveAttributeAsync("href", "models");
            await Assertions.Expect(hint.Locator("#suggested-model")).ToHaveAttributeAsync("href", "models?pull=Qwen%2FQwen2.5-0.5B-Instruct");
            // As rendered (innerText follows the layout): the words keep their spaces ("GETQWEN/…(ABOUT 1 GB)" before).
            Assert.Equal("Get Qwen/Qwen2.5-0.5B-Instruct (about 1 GB)", (await hint.Locator("#suggested-model").InnerTextAsync()).Trim(),
                ignoreCase: true);
            await page.CloseAsync();
        }

        // One click from the hint: the Models page downloads the suggestion; then the training form is there.
        var training = await studio.OpenAsync("/training");
        await training.Locator("#suggested-model").ClickAsync();
        await PageUrl.ExpectAsync(training, "**/models");
        await Assertions.Expect(training.Locator("[id=\"download-Qwen2.5-0.5B-Instruct\"]")).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 30_000 });
        await Assertions.Expect(training.Locator("#model-list")).ToContainTextAsync("Qwen2.5-0.5B-Instruct");
        await training.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Training" }).ClickAsync();
        await Assertions.Expect(training.GetByLabel("Base model")).ToBeVisibleAsync();
        await Assertions.Expect(training.Locator("#no-model-hint")).ToHaveCountAsync(0);
        Directory.Delete(noModels, recursive: true);
    }
}
