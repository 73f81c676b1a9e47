using Microsoft.Playwright;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The studio in Chinese and English: chosen from the browser's language, switched in the app bar and remembered.</summary>
[Collection(StudioServer.Collection)]
public class LanguageTests
{
    static readonly string[] NavigationPages = ["/", "/models", "/datasets", "/corpora", "/pairs/mine", "/pairs/generate", "/annotate", "/styles", "/training", "/evaluation", "/rate", "/playground"];

    [Fact]
    public async Task A_browser_asking_for_Chinese_gets_Chinese_pages_and_one_asking_for_English_gets_English()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        foreach (var path in NavigationPages)
        {
            var chinese = await GetAsync(client, path, "zh-CN,zh;q=0.9,en;q=0.8");
            Assert.Contains("<html lang=\"zh-CN\"", chinese);
            foreach (var word in new[] { "数据集", "训练", "评估", "模型" }) Assert.Contains(word, chinese);

            var english = await GetAsync(client, path, "en-US,en;q=0.9");
            Assert.Contains("<html lang=\"en\"", english);
            Assert.Contains(">Datasets<", english);
            Assert.DoesNotContain("数据集", english);
        }
        // Any Chinese variant reads the zh-CN pages; a language the studio lacks gets English.
        Assert.Contains("<html lang=\"zh-CN\"", await GetAsync(client, "/", "zh-TW"));
        Assert.Contains("<html lang=\"zh-CN\"", await GetAsync(client, "/", "fr-FR,zh;q=0.5"));
        Assert.Contains("<html lang=\"en\"", await GetAsync(client, "/", "de-DE"));
    }

    [Fact]
    public async Task The_app_bar_switch_changes_the_language_of_the_page_and_the_choice_is_remembered()
    {
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("datasets");
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));

        await page.Locator("#language-zh-CN").ClickAsync();
        await PageUrl.ExpectAsync(page, new Uri(studio.Address, "datasets").ToString());
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached });
        Assert.Equal("zh-CN", await page.Locator("html").GetAttributeAsync("lang"));
        await Assertions.Expect(page.Locator(".mud-nav-link", new() { HasText = "数据集" })).ToBeVisibleAsync();

        // Other pages, a reload and a new tab of the same browser keep Chinese, though the browser asks for English.
        await page.Locator(".mud-nav-link", new() { HasText = "首页" }).ClickAsync();
        await Assertions.Expect(page.GetByText("微调一个模型，让它用你的风格写作")).ToBeVisibleAsync();
        await page.ReloadAsync();
        Assert.Equal("zh-CN", await page.Locator("html").GetAttributeAsync("lang"));
        var second = await page.Context.NewPageAsync();
        await second.GotoAsync(new Uri(studio.Address, "training").ToString());
        Assert.Equal("zh-CN", await second.Locator("html").GetAttributeAsync("lang"));

        await page.Locator("#studio-interactive").WaitForAsync(new() { State = Microsoft.Playwright.WaitForSelectorState.Attached });
        await page.Locator("#language-en").ClickAsync();
        await Assertions.Expect(page.GetByText("Fine-tune a model to write in your style")).ToBeVisibleAsync();
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));
    }

    [Fact]
    public async Task Every_page_of_the_navigation_in_Chinese_has_no_English_interface_text()
    {
        await using var studio = new StudioServer();
        foreach (var path in NavigationPages)
        {
            var page = await studio.OpenAsync(path.TrimStart('/'), PageLanguage.Chinese);
            await PageLanguage.AssertTranslatedAsync(page);
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_check_for_untranslated_text_finds_English_interface_words_but_not_data_marked_translate_no()
    {
        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        try
        {
            var page = await browser.NewPageAsync();
            // "zebras graze" is in no resource file: English text that never went through the localizer is found too, where
            // a capitalised name (Zanzibar) is left alone.
            await page.SetContentAsync("""<html lang="zh-CN"><body><p>数据集 Import and clean</p><p translate="no">Import notes.jsonl</p><p>LoRA 秩</p><p>训练 zebras graze in Zanzibar</p></body></html>""");
            var untranslated = await PageLanguage.UntranslatedAsync(page);
            Assert.Contains(untranslated, word => word.StartsWith("'Import'"));
            Assert.Contains(untranslated, word => word.StartsWith("'clean'"));
            Assert.Contains(untranslated, word => word.StartsWith("'zebras'"));
            Assert.Contains(untranslated, word => word.StartsWith("'graze'"));
            Assert.DoesNotContain(untranslated, word => word.Contains("notes") || word.StartsWith("'LoRA'") || word.StartsWith("'Zanzibar'"));
        }
        finally
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }

    /// <summary>
    /// On a machine without any CJK font (Chromium given a fontconfig that knows only DejaVu), every Chinese character of
    /// the Chinese pages still draws, from the font the studio serves itself; a character outside that font does not,
    /// which shows the check can fail.
    /// </summary>
    [Fact]
    public async Task Chinese_pages_draw_every_character_on_a_machine_without_CJK_fonts()
    {
        string fonts = Directory.CreateTempSubdirectory("no-cjk-fonts-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(fonts, "fonts.conf"), $"""
                <?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
                <fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{fonts}/cache</cachedir></fontconfig>
                """);
            var environment = new Dictionary<string, string>
            {
                ["FONTCONFIG_FILE"] = Path.Combine(fonts, "fonts.conf"),
                ["HOME"] = fonts,
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            };
            // The studio outlives the browser: stopping it with a page still connected makes Kestrel wait for the circuit's
            // socket, and under load the host's shutdown timeout ran out ("hosted services failed to stop").
            await using var studio = new StudioServer();
            var (playwright, browser) = await HeadlessChromium.LaunchAsync(environment);
            try
            {
                var context = await browser.NewContextAsync(new() { Locale = PageLanguage.Chinese });
                var page = await context.NewPageAsync();
                foreach (var path in NavigationPages)
                {
                    await page.GotoAsync(new Uri(studio.Address, path).ToString());
                    await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
                    var undrawable = await PageLanguage.UndrawableCharactersAsync(page);
                    Assert.True(undrawable.Length == 0, $"{path}: no glyph for {string.Join(" ", undrawable)}");
                }
                // 𰻞 (biáng, U+30EDE) is in no font this browser has: the check must report it.
                Assert.Equal(["𰻞"], await PageLanguage.UndrawableCharactersAsync(page, "𰻞"));
            }
            finally
            {
                await browser.DisposeAsync();
                playwright.Dispose();
            }
        }
        finally
        {
            Directory.Delete(fonts, recursive: true);
        }
    }

    [Fact]
    public async Task A_lost_connection_is_announced_in_the_page_s_language()
    {
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("datasets", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#components-reconnect-modal")).ToBeHiddenAsync();
        // Blazor's own hook for dropping the circuit's connection (its end-to-end tests use it): the page must reconnect.
        await page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");
        var notice = page.Locator("#components-reconnect-modal");
        await Assertions.Expect(notice).ToContainTextAsync("正在重新连接", new() { Timeout = 30_000 });
        await PageLanguage.AssertTranslatedAsync(page);
        await Assertions.Expect(notice).ToBeHiddenAsync(new() { Timeout = 30_000 });   // reconnected: the notice goes
    }

    static async Task<string> GetAsync(HttpClient client, string path, string acceptLanguage)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.AcceptLanguage.ParseAdd(acceptLanguage);
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }
}
