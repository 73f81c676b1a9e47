using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Generating pairs as a user does, on the tiny qwen2 fixture: in English through the studio's own API (endpoint, model
/// and key typed into the form) to a finished generation and its dataset; in Chinese through the served model, watched
/// while it runs and cancelled, then a short one to its end and its dataset.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class PairGenerationPageTests : IAsyncDisposable
{
    const string Key = "sk-pairs-page";

    readonly string models = Directory.CreateTempSubdirectory("pair-page-models-").FullName;
    readonly StudioServer studio;

    public PairGenerationPageTests()
    {
        AdapterModelsFolder.CopyFiles(Fixtures.Model("qwen2"), Path.Combine(models, "qwen2"));   // the one model, chosen by default
        studio = new StudioServer(modelsFolder: models, settings: new Dictionary<string, string> { ["Studio:ApiKeys:0"] = Key });
    }

    DataStore Store => studio.Services.GetRequiredService<DataStore>();

    [Fact]
    public async Task Pairs_generated_through_the_studios_own_api_are_listed_with_reasons_and_become_a_dataset()
    {
        Store.Corpora.Create("classics", "古风", "classics.txt", ["今日天朗气清，盍往园中一游？", "吾甚念远方故人。", "吾甚念远方故人。"], "paragraphs");
        var page = await studio.OpenAsync("/pairs/generate");
        await Assertions.Expect(page.Locator("#prompt")).ToHaveValueAsync("把下面的古文/风格化文字改写成平实的现代白话文，只输出改写结果：");
        await Assertions.Expect(page.Locator("#style")).ToHaveValueAsync("古风");

        await StudioServer.ChooseAsync(page, "Rewriter", "An OpenAI-compatible endpoint");
        await page.Locator("#endpoint").FillAsync(new Uri(studio.Address, "/v1").ToString());
        await page.Locator("#endpoint-model").FillAsync("qwen2");
        await page.Locator("#api-key").FillAsync(Key);
        await page.Locator("#max-tokens").FillAsync("12");
        // The tiny model writes junk: open bounds keep what is not empty, echoed or repeated.
        await page.Locator("#min-ratio").FillAsync("0");
        await page.Locator("#max-ratio").FillAsync("1000");
        await page.Locator("#min-similarity").FillAsync("0");
        await page.Locator("#target").FillAsync("generated");
        await page.Locator("#target").PressAsync("Tab");
        // Laid out in the grid's columns: the filter bounds side by side, left to right (an unstyled page stacks them).
        var boxes = new List<LocatorBoundingBoxResult>();
        foreach (var field in new[] { "#min-ratio", "#max-ratio", "#min-similarity" }) boxes.Add((await page.Locator(field).BoundingBoxAsync())!);
        Assert.All(boxes, b => Assert.Equal(boxes[0].Y, b.Y, 1.0));
        Assert.True(boxes[0].X < boxes[1].X && boxes[1].X < boxes[2].X, $"filter fields at x = {string.Join(", ", boxes.Select(b => b.X))}");
        await page.Locator("#start-generation").ClickAsync();

        await Assertions.Expect(page.Locator("#generation-status")).ToHaveTextAsync("Completed", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#generation-progress")).ToContainTextAsync("3 of 3 texts");
        var rows = page.Locator("#generation-items tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await Assertions.Expect(rows.Nth(2).Locator(".item-outcome")).ToHaveTextAsync("Same text as #2");
        var record = Assert.Single(Store.PairGenerations.All());
        Assert.Equal(PairGenerationStatus.Completed, record.Status);
        Assert.Equal(new Uri(studio.Address, "/v1").ToString(), record.Settings.Rewriter.Endpoint);
        await Assertions.Expect(page.Locator("#generation-items tr.item-kept")).ToHaveCountAsync(record.Kept);
        Assert.True(record.Kept > 0);
        await Assertions.Expect(page.Locator("#generation-list")).ToContainTextAsync("classics → generated");

        // The key was used and never stored (the studio's database and its log, Hangfire's queue).
        foreach (var file in Directory.EnumerateFiles(studio.DataFolder, "*.db"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Assert.DoesNotContain(Key, new StreamReader(stream).ReadToEnd());
        }

        await page.Locator("#dataset-link").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/datasets/generated");
        await Assertions.Expect(page.Locator("#dataset-name")).ToHaveTextAsync("generated");
        var kept = Store.PairGenerations.Items(record.Id).Where(i => i.Kept).ToList();
        Assert.Equal(kept.Select(i => i.Plain), Store.Rows(Store.Find("generated").Id).Select(r => r.Input));
        Assert.Contains("prompt: 把下面的古文", Store.Versions("generated")[0].Note);
    }

    [Fact]
    public async Task In_Chinese_a_running_generation_shows_its_items_as_they_come_is_cancelled_and_a_short_one_ends_in_a_dataset()
    {
        // Two hundred classical sentences from the sample: long enough a job to watch and cancel.
        var texts = File.ReadLines(Path.Combine(Fixtures.RepositoryRoot(), "samples", "modern-to-classical.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("output").GetString()!).Distinct().Take(200).ToList();
        Store.Corpora.Create("古文", "古风", "古文.txt", texts, "paragraphs");

        var page = await studio.OpenAsync("/pairs/generate", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#generation-form")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        await page.Locator("#texts").FillAsync("200");
        await page.Locator("#max-tokens").FillAsync("64");
        await page.Locator("#target").FillAsync("古文语料对");
        await page.Locator("#target").PressAsync("Tab");
        await page.Locator("#start-generation").ClickAsync();

        // Items arrive while it runs (the page is not reloaded), then Cancel stops it before the end.
        await Assertions.Expect(page.Locator("#generation-items tbody tr").First).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#generation-status")).ToHaveTextAsync("运行中");
        await Assertions.Expect(page.Locator("#generation-progress")).ToContainTextAsync("/ 200 段");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#cancel-generation").ClickAsync();
        await Assertions.Expect(page.Locator("#generation-status")).ToHaveTextAsync("已取消", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#generation-message")).ToHaveTextAsync("已取消；没有写入数据集版本。");
        await PageLanguage.AssertTranslatedAsync(page);

        var record = Assert.Single(Store.PairGenerations.All());
        Assert.Equal(PairGenerationStatus.Cancelled, record.Status);
        Assert.InRange(record.Done, 1, 199);
        Assert.Equal(record.Settings.Rewriter, new PairRewriter("qwen2"));
        Assert.DoesNotContain(Store.Datasets(), d => d.Name == "古文语料对");   // a cancelled generation writes nothing
        await Assertions.Expect(page.Locator("#generation-items tbody tr")).ToHaveCountAsync(record.Done);

        // A short one to its end, the bounds opened for the tiny model's junk, then its dataset.
        await page.Locator("#texts").FillAsync("2");
        await page.Locator("#max-tokens").FillAsync("8");
        await page.Locator("#min-ratio").FillAsync("0");
        await page.Locator("#max-ratio").FillAsync("1000");
        await page.Locator("#min-similarity").FillAsync("0");
        await page.Locator("#min-similarity").PressAsync("Tab");
        await page.Locator("#start-generation").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/pairs/generate/2");
        await Assertions.Expect(page.Locator("#generation-status")).ToHaveTextAsync("已完成", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#generation-progress")).ToContainTextAsync("已完成 2 / 2 段");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#dataset-link").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/datasets/" + Uri.EscapeDataString("古文语料对"));
        await Assertions.Expect(page.Locator("#dataset-name")).ToHaveTextAsync("古文语料对");
        var finished = Store.PairGenerations.Get(2);
        Assert.Equal(finished.Kept, Store.Find("古文语料对").Rows);
        Assert.True(finished.Kept > 0);
    }

    public async ValueTask DisposeAsync()
    {
        await studio.DisposeAsync();
        Directory.Delete(models, recursive: true);
    }
}
