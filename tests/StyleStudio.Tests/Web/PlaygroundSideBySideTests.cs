using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The playground side by side, as a user meets it: the tiny base and two real PEFT adapters chosen at once, greedy, one
/// prompt and seed; three columns stream, each labelled with its model and its own token count and speed, each ending in
/// exactly what the OpenAI API answers for that model alone. An unstyled or dead page fails.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class PlaygroundSideBySideTests : IAsyncDisposable
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    readonly string models = Directory.CreateTempSubdirectory("side-by-side-models-").FullName;
    readonly StudioServer studio;

    public PlaygroundSideBySideTests()
    {
        AdapterModelsFolder.Create(models);
        studio = new StudioServer(modelsFolder: models);
    }

    [Fact]
    public async Task A_base_and_two_adapters_stream_in_columns_what_the_api_answers_for_each()
    {
        const string Message = "Tell me about the sea.";
        string[] chosen = ["qwen2", "qwen2:lora-r4", "qwen2:dora-r4"];
        using var http = new HttpClient { BaseAddress = studio.Address };
        // The adapters load while the base column decodes, and join its batch part-way, at a moment set by the machine's
        // load: the columns must not depend on it (the engine's rows do not round differently for what runs beside them).
        var page = await studio.OpenAsync("/playground");

        // Styled: MudBlazor's stylesheet arrived and applies.
        int mudRules = await page.EvaluateAsync<int>(
            "() => [...document.styleSheets].filter(s => (s.href || '').includes('MudBlazor')).reduce((n, s) => n + s.cssRules.length, 0)");
        Assert.True(mudRules > 500, $"MudBlazor's stylesheet has {mudRules} rules in the page");

        // The base first; the text and settings before side by side (see CloseListAsync: what is typed while the
        // multi-select takes the focus back goes to it).
        await StudioServer.ChooseAsync(page, "Model", "qwen2 ");
        await page.GetByLabel("Text to rewrite").FillAsync(Message);
        await page.GetByLabel("Max new tokens").FillAsync("12");
        await page.GetByLabel("Seed (optional)").FillAsync("3");
        await page.GetByLabel("Seed (optional)").PressAsync("Tab");
        var temperature = page.Locator("input[type=range]#temperature, #temperature input[type=range]").First;
        await temperature.FocusAsync();
        await temperature.PressAsync("Home");   // greedy
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("temperature 0 · top-p 0.9 · up to 12 tokens · seed 3");

        // Side by side: the base stays chosen, and the adapters join it from the multi-select.
        await page.GetByText("Compare side by side").ClickAsync();
        await page.GetByLabel("Models").ClickAsync();
        foreach (var adapter in chosen[1..])
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = adapter + " " }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("3 models · temperature 0 · top-p 0.9 · up to 12 tokens · seed 3");
        await StudioServer.CloseListAsync(page);
        await page.Locator("#generate").ClickAsync();

        var columns = page.Locator(".compare-column");
        await Assertions.Expect(columns).ToHaveCountAsync(3);
        for (int i = 0; i < 3; i++)
            await Assertions.Expect(columns.Nth(i).Locator(".compare-stats")).ToContainTextAsync("tok/s", new() { Timeout = 60_000 });

        var texts = new Dictionary<string, string>();
        for (int i = 0; i < 3; i++)
        {
            var column = columns.Nth(i);
            string model = (await column.GetAttributeAsync("data-model"))!;
            Assert.StartsWith(model, await column.Locator(".compare-model").TextContentAsync());

            var body = await (await http.PostAsJsonAsync("/v1/chat/completions", new
            {
                model, messages = new[] { new { role = "user", content = Message } }, max_tokens = 12, seed = 3,
                temperature = 0, top_p = 0.9, repetition_penalty = 1.1,
            }, Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel);
            string expected = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
            int tokens = body.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
            string shown = (await column.Locator(".compare-output").TextContentAsync())!;
            Assert.True(shown == expected,
                $"{model}: the column shows {JsonSerializer.Serialize(shown)}, the API answered {JsonSerializer.Serialize(expected)}");
            await Assertions.Expect(column.Locator(".compare-stats")).ToContainTextAsync($"{tokens} tokens · ");
            texts.Add(model, expected);
        }
        Assert.Equal(chosen.Order(), texts.Keys.Order());   // one column per chosen model, in the models list's order
        // The columns are different models, not one model three times.
        Assert.True(texts.Values.Distinct().Count() >= 2, "every column gave the same text: " + texts["qwen2"]);

        // Laid out as columns: side by side on one row, left to right (an unstyled grid would stack them).
        var boxes = new List<LocatorBoundingBoxResult>();
        for (int i = 0; i < 3; i++) boxes.Add((await columns.Nth(i).BoundingBoxAsync())!);
        Assert.All(boxes, b => Assert.Equal(boxes[0].Y, b.Y, 1.0));
        Assert.True(boxes[0].X < boxes[1].X && boxes[1].X < boxes[2].X, $"columns at x = {string.Join(", ", boxes.Select(b => b.X))}");

        // Back to one model: the single output returns and still works.
        await page.GetByText("Compare side by side").ClickAsync();
        await page.Locator("#generate").ClickAsync();
        await Assertions.Expect(page.Locator("#generation-stats")).ToContainTextAsync("tok/s");
        Assert.Equal(texts["qwen2"], await page.Locator("#output").TextContentAsync());
    }

    [Fact]
    public async Task Columns_stream_together_and_stop_ends_them_all()
    {
        var page = await studio.OpenAsync("/playground");
        await StudioServer.ChooseAsync(page, "Model", "qwen2:lora-r8");
        // The text and settings before side by side (see CloseListAsync).
        await page.GetByLabel("Text to rewrite").FillAsync("Write a long story about the sea.");
        await page.GetByLabel("Max new tokens").FillAsync("400");
        var temperature = page.Locator("input[type=range]#temperature, #temperature input[type=range]").First;
        await temperature.FocusAsync();
        await temperature.PressAsync("Home");
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("temperature 0 · top-p 0.9 · up to 400 tokens");
        await page.GetByText("Compare side by side").ClickAsync();
        await page.GetByLabel("Models").ClickAsync();
        foreach (var model in new[] { "qwen2 ", "qwen2:dora-r4 " })
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = model }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("3 models · temperature 0 · top-p 0.9 · up to 400 tokens");
        await StudioServer.CloseListAsync(page);
        await page.Locator("#generate").ClickAsync();

        // Every column shows text, then Stop: each ends cancelled part-way, so they streamed at the same time — one after
        // another, the first would have run to its end before the last showed text. (Stop comes straight after the text:
        // the tiny model writes hundreds of tokens a second, and every look at the page in between gave them time to
        // finish on a busy machine.)
        var columns = page.Locator(".compare-column");
        for (int i = 0; i < 3; i++) await Assertions.Expect(columns.Nth(i).Locator(".compare-output")).Not.ToBeEmptyAsync();
        await page.Locator("#stop").ClickAsync();
        for (int i = 0; i < 3; i++)
        {
            var stats = columns.Nth(i).Locator(".compare-stats");
            await Assertions.Expect(stats).ToContainTextAsync("cancelled");
            int tokens = int.Parse((await stats.TextContentAsync())!.Split(' ')[0]);
            Assert.InRange(tokens, 1, 399);
        }
        await Assertions.Expect(page.Locator("#generate")).ToBeEnabledAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await studio.DisposeAsync();
        Directory.Delete(models, recursive: true);
    }
}
