using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OpenAI;
using OpenAI.Chat;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Generation;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Styles as first-class objects, as a user meets them in Chinese: found in a two-style dataset, phrased, trained in both
/// of the article's layouts, given an adapter, then used by name in the playground and through the OpenAI SDK, and the
/// two layouts compared by evaluation.
/// </summary>
[Collection(StudioServer.Collection)]
public class StylesPageTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Rows with no instruction: the style's phrasing ("formal:") becomes their instruction in training and is put before
    // the text when a request names the style, so the adapter sees the same prompt both times.
    static readonly DatasetRow[] Rows =
    [
        new() { Instruction = "", Input = "Good morning.", Output = "morning!", Style = "口语" },
        new() { Instruction = "", Input = "Thank you kindly.", Output = "thx!", Style = "口语" },
        new() { Instruction = "", Input = "I decline.", Output = "nah", Style = "口语" },
        new() { Instruction = "改写成古风：", Input = "我很想念朋友。", Output = "吾甚念故人。", Style = "古风" },
        new() { Instruction = "改写成古风：", Input = "今天天气很好。", Output = "今日天朗气清。", Style = "古风" },
        new() { Instruction = "改写成古风：", Input = "这本书很好。", Output = "此书甚善。", Style = "古风" },
    ];

    [Fact]
    public async Task A_style_trained_per_style_is_used_by_name_in_the_playground_and_the_API_and_the_layouts_compared()
    {
        await using var studio = new StudioServer();
        var store = studio.Services.GetRequiredService<DataStore>();
        store.Create("两种风格", Rows, "test");

        var page = await studio.OpenAsync("styles", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#no-styles")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        // Find the dataset's styles: one each, phrased with the label's most common instruction.
        await page.Locator("#find-styles").ClickAsync();
        await Assertions.Expect(page.Locator("#style-list .style-name")).ToHaveTextAsync(["口语", "古风"]);
        await PageLanguage.AssertTranslatedAsync(page);
        Assert.Equal("改写成古风：", store.Styles.Find("古风")!.Instruction);

        // Phrase 口语 and make it greedy and short.
        await page.Locator("#style-list tr", new() { HasText = "口语" }).Locator(".edit-style").ClickAsync();
        await page.Locator("#style-instruction").FillAsync("formal:");
        await page.Locator("#style-temperature").FillAsync("0");
        await page.Locator("#style-max-tokens").FillAsync("16");
        await page.Locator("#style-max-tokens").PressAsync("Tab");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#save-style").ClickAsync();
        await Assertions.Expect(page.Locator("#styles-notice")).ToContainTextAsync("已保存 口语");
        Assert.Equal(new StylePresets(0, 0.9, 16, 1.0), store.Styles.Find("口语")!.Presets);

        // Train each style, both layouts: a run per style on its rows, and one multi-task run on all of them.
        await StudioServer.ChooseAsync(page, "基座模型", "qwen2");
        await page.Locator("#train-lr").FillAsync("0.01");
        await page.Locator("#train-epochs").FillAsync("30");
        await page.Locator("#train-epochs").PressAsync("Tab");
        await page.Locator("#queue-style-runs").ClickAsync();
        await Assertions.Expect(page.Locator("#queued-runs a")).ToHaveCountAsync(3);
        var runs = store.Runs.All().OrderBy(r => r.Id).ToList();
        Assert.Equal(new string?[] { "口语", "古风", null }, runs.Select(r => r.Style));
        Assert.All(runs, r => Assert.Equal((0.01, "qwen2"), (r.Settings.LearningRate, r.Model)));
        await WaitAsync(() => store.Runs.All().All(r => r.Status is RunStatus.Completed or RunStatus.Failed), TimeSpan.FromMinutes(6));
        Assert.All(store.Runs.All(), r => Assert.True(r.Status == RunStatus.Completed, $"{r.Name}: {r.Status} {r.Message}"));
        int casualRun = runs[0].Id, multiTaskRun = runs[2].Id;

        // Choose the per-style adapter for 口语; both layouts are offered.
        await page.ReloadAsync();
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var casualRow = page.Locator("#style-list tr", new() { HasText = "口语" });
        await casualRow.Locator(".style-adapter").ClickAsync();
        var options = page.Locator(".mud-popover-open .mud-list-item");
        await Assertions.Expect(options.Filter(new() { HasText = $"run-{multiTaskRun}" })).ToContainTextAsync("多任务训练任务");
        await options.Filter(new() { HasText = $"run-{casualRun}" }).ClickAsync();
        await Assertions.Expect(page.Locator("#styles-notice")).ToContainTextAsync($"口语 现在由 run-{casualRun} 生成");
        Assert.Equal($"run-{casualRun}", store.Styles.Find("口语")!.Adapter);

        // What the style must answer: its adapter, greedy, on its phrasing before the text (the training prompt).
        var generation = studio.Services.GetRequiredService<GenerationService>();
        async Task<string> Expected(double repetitionPenalty) => (await generation.GenerateAsync(new GenerationRequest
        {
            Model = $"run-{casualRun}",
            Messages = [new ChatTurn("user", "formal:\nGood morning.")],
            Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = 16, RepetitionPenalty = repetitionPenalty },
        }, Cancel)).Text;
        Assert.Equal("morning!", await Expected(1.0));   // the adapter learned the style

        // The playground, opened from the style's Try button, starts from the style's presets.
        await casualRow.Locator(".try-style").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/playground?model=*");
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.Locator("#message").FillAsync("Good morning.");
        await page.Locator("#message").PressAsync("Tab");
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("16");
        await page.Locator("#generate").ClickAsync();
        await Assertions.Expect(page.Locator("#output")).ToHaveTextAsync(await Expected(1.1), new() { Timeout = 60_000 });

        // The API: the style's name is a model, owned by its base, carrying its label.
        using var http = new HttpClient { BaseAddress = studio.Address };
        var listed = (await http.GetFromJsonAsync<JsonElement>("/v1/models", Cancel)).GetProperty("data").EnumerateArray()
            .Single(m => m.GetProperty("id").GetString() == "口语");
        Assert.Equal("qwen2", listed.GetProperty("owned_by").GetString());
        var client = new OpenAIClient(new ApiKeyCredential("no-key-configured"), new OpenAIClientOptions { Endpoint = new Uri(studio.Address, "/v1") });
        ChatCompletion reply = await client.GetChatClient("口语").CompleteChatAsync([new UserChatMessage("Good morning.")], cancellationToken: Cancel);
        Assert.Equal("morning!", reply.Content[0].Text);
        // 古风 has no adapter yet: not servable by name, and the API says why.
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => client.GetChatClient("古风").CompleteChatAsync([new UserChatMessage("你好")], cancellationToken: Cancel));
        Assert.Equal(400, missing.Status);
        Assert.Contains("no adapter chosen for this style yet", missing.Message);

        // Compare the layouts: each style's per-style adapter and the multi-task one, on the same rows of that style.
        var stylesPage = await studio.OpenAsync("styles", PageLanguage.Chinese);
        await stylesPage.Locator("#compare-layouts").ClickAsync();
        await Assertions.Expect(stylesPage.Locator("#layout-comparison")).ToBeVisibleAsync();
        var evaluations = store.Evaluations.All().OrderBy(e => e.Id).ToList();
        Assert.Equal(4, evaluations.Count);
        Assert.Equal([$"run-{runs[0].Id}", $"run-{multiTaskRun}", $"run-{runs[1].Id}", $"run-{multiTaskRun}"], evaluations.Select(e => e.Settings.Model));
        Assert.Equal(["口语", "口语", "古风", "古风"], evaluations.Select(e => e.Settings.Style));
        Assert.All(evaluations, e => Assert.Equal(3, e.Total));
        await WaitAsync(() => store.Evaluations.All().All(e => e.Status is EvaluationStatus.Completed or EvaluationStatus.Failed), TimeSpan.FromMinutes(4));
        Assert.All(store.Evaluations.All(), e => Assert.True(e.Status == EvaluationStatus.Completed, $"{e.Name}: {e.Status} {e.Message}"));
        await stylesPage.Locator("#layout-comparison").ClickAsync();
        await PageUrl.ExpectAsync(stylesPage, "**/evaluation/compare?ids=*");
        foreach (var evaluation in evaluations) await Assertions.Expect(stylesPage.GetByText(evaluation.Name).First).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_bad_style_is_refused_with_the_reason_and_nothing_is_saved()
    {
        await using var studio = new StudioServer();
        var store = studio.Services.GetRequiredService<DataStore>();
        store.Styles.Create("古风", "", "改写成古风：", null, null);
        var page = await studio.OpenAsync("styles");
        await page.Locator("#new-style").ClickAsync();
        await page.Locator("#style-name").FillAsync("古风");
        await page.Locator("#style-name").PressAsync("Tab");
        await page.Locator("#save-style").ClickAsync();
        await Assertions.Expect(page.Locator("#styles-error")).ToContainTextAsync("a style called '古风' already exists");
        await page.Locator("#style-name").FillAsync("run-3");
        await page.Locator("#style-name").PressAsync("Tab");
        await page.Locator("#save-style").ClickAsync();
        await Assertions.Expect(page.Locator("#styles-error")).ToContainTextAsync("looks like a model id");
        Assert.Equal(["古风"], store.Styles.All().Select(s => s.Name));
    }

    static async Task WaitAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not done within {limit}");
            await Task.Delay(250, Cancel);
        }
    }
}
