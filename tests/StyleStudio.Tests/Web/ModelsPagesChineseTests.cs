using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Login;

namespace StyleStudio.Tests.Web;

/// <summary>The Models page, the not-found, error and sign-in pages in Chinese, state by state: the fixture models with a
/// run on one, the delete dialog, refused downloads, a download in progress, landed and failed, and the adapters.</summary>
[Collection(StudioServer.Collection)]
public sealed class ModelsPagesChineseTests : IAsyncLifetime
{
    readonly LocalHub hub = new();
    readonly string modelsFolder = Directory.CreateTempSubdirectory("studio-models-zh-").FullName;

    public ValueTask InitializeAsync()
    {
        hub.Add("acme/tiny-qwen", new(Fixtures.Model("qwen2")));
        return ValueTask.CompletedTask;
    }

    Dictionary<string, string> HubSettings => new() { ["Studio:HuggingFaceEndpoint"] = hub.Endpoint.ToString() };

    [Fact]
    public async Task The_fixture_models_their_delete_dialog_and_refused_downloads_show_no_English_interface_text()
    {
        await using var studio = new StudioServer(settings: HubSettings);
        var store = studio.Services.GetRequiredService<DataStore>();
        var dataset = store.Create("古风", [new DatasetRow { Instruction = "改写为古风", Input = "今天天气很好。", Output = "今日天朗气清。" }], "test");
        store.Runs.Create("古风改写", dataset, "qwen2", new RunRequest());

        var page = await studio.OpenAsync("models", PageLanguage.Chinese);
        var qwen = page.Locator("#model-list tr").Filter(new() { Has = page.Locator(".model-name", new() { HasTextRegex = new Regex("^qwen2$") }) }).First;
        await Assertions.Expect(qwen).ToContainTextAsync("Qwen2ForCausalLM");
        await Assertions.Expect(qwen).ToContainTextAsync("古风改写 (排队中)");
        await Assertions.Expect(qwen.Locator(".model-loads")).ToHaveTextAsync("可加载");
        await Assertions.Expect(page.Locator("h4")).ToHaveTextAsync("模型");
        await PageLanguage.AssertTranslatedAsync(page);

        // The delete dialog names the model and its folder, untranslated, in a Chinese sentence; keeping it deletes nothing.
        await qwen.Locator(".model-remove").ClickAsync();
        var dialog = page.Locator(".mud-dialog");
        await Assertions.Expect(dialog).ToContainTextAsync("删除 qwen2 及其文件夹");
        await PageLanguage.AssertTranslatedAsync(page);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "取消" }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
        Assert.True(File.Exists(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")));

        // A model of that name is already here: refused at once, in Chinese.
        await page.GetByLabel("仓库 ID").FillAsync("acme/qwen2");
        await page.Locator("#download-button").ClickAsync();
        await Assertions.Expect(page.Locator("#download-error")).ToContainTextAsync("中已有名为 qwen2 的模型。");
        await PageLanguage.AssertTranslatedAsync(page);

        // A malformed id: the hub client's reason stays English after a Chinese lead-in.
        await page.GetByLabel("仓库 ID").FillAsync("not/a/repo id");
        await page.Locator("#download-button").ClickAsync();
        await Assertions.Expect(page.Locator("#download-error")).ToContainTextAsync("无法下载：");
        await Assertions.Expect(page.Locator("#download-error span[translate='no']")).Not.ToBeEmptyAsync();
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task A_download_in_progress_landed_and_failed_shows_no_English_interface_text()
    {
        hub.BytesPerSecond = 150_000;   // the 400 KB weights take a few seconds: long enough to check the progress line
        await using var studio = new StudioServer(modelsFolder: modelsFolder, settings: HubSettings);
        var page = await studio.OpenAsync("models", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#model-list")).ToContainTextAsync("中还没有模型：请在上方下载一个。");
        await PageLanguage.AssertTranslatedAsync(page);

        await page.GetByLabel("仓库 ID").FillAsync("acme/tiny-qwen");
        await page.Locator("#download-button").ClickAsync();
        var download = page.Locator("#download-tiny-qwen");
        await Assertions.Expect(download.Locator(".download-progress-text")).ToContainTextAsync("model.safetensors");
        await Assertions.Expect(download.Locator(".download-progress-text")).ToContainTextAsync("文件 ");
        await Assertions.Expect(download.Locator(".download-status")).ToHaveTextAsync("下载中");
        await PageLanguage.AssertTranslatedAsync(page);

        await Assertions.Expect(download).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 30_000 });
        await Assertions.Expect(download.Locator(".download-status")).ToHaveTextAsync("已完成");
        await Assertions.Expect(download.Locator(".download-message")).ToContainTextAsync("个文件，共");
        await Assertions.Expect(page.Locator("#model-list")).ToContainTextAsync("Qwen2ForCausalLM");
        await PageLanguage.AssertTranslatedAsync(page);

        // A repository the hub does not have: the hub's answer stays English after a Chinese lead-in.
        hub.BytesPerSecond = null;
        await page.GetByLabel("仓库 ID").FillAsync("acme/missing");
        await page.Locator("#download-button").ClickAsync();
        var failed = page.Locator("#download-missing");
        await Assertions.Expect(failed).ToHaveAttributeAsync("data-status", "failed", new() { Timeout = 15_000 });
        await Assertions.Expect(failed.Locator(".download-status")).ToHaveTextAsync("失败");
        await Assertions.Expect(failed.Locator(".download-message")).ToContainTextAsync("下载失败：");
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task The_adapters_under_their_base_and_those_without_one_show_no_English_interface_text()
    {
        AdapterModelsFolder.Create(modelsFolder);
        await using var studio = new StudioServer(modelsFolder: modelsFolder);
        var page = await studio.OpenAsync("models", PageLanguage.Chinese);

        var dora = page.Locator("#model-list tr.adapter-row[data-adapter='qwen2:dora-r4']");
        await Assertions.Expect(dora).ToContainTextAsync("秩 4 · alpha");
        await Assertions.Expect(dora.Locator(".adapter-loads")).ToHaveTextAsync("适配器");
        var unattached = page.Locator("#unattached-adapters");
        await Assertions.Expect(unattached).ToContainTextAsync("本地没有基座模型的适配器");
        await Assertions.Expect(unattached.Locator(".adapter-broken")).ToHaveCountAsync(2);
        await Assertions.Expect(unattached.Locator(".adapter-broken").First).ToHaveTextAsync("无法加载");
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task An_unknown_address_shows_the_not_found_page_in_Chinese()
    {
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("no-such-page", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#not-found-message")).ToContainTextAsync("此地址没有页面。");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "返回首页" })).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task The_error_page_is_in_Chinese_with_the_request_id_kept_apart()
    {
        await using var studio = new StudioServer();
        var page = await studio.NewPageAsync(PageLanguage.Chinese);
        await page.GotoAsync(new Uri(studio.Address, "/error").ToString());   // rendered without a circuit: nothing to wait for
        await Assertions.Expect(page.Locator("#error-message")).ToContainTextAsync("你保存的内容没有任何改动。");
        await Assertions.Expect(page.Locator("#request-id")).Not.ToBeEmptyAsync();
        await Assertions.Expect(page.Locator("#request-id")).ToHaveAttributeAsync("translate", "no");
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task The_sign_in_page_is_in_Chinese_with_its_error_and_leads_to_a_Chinese_studio()
    {
        await using var studio = new StudioServer(settings: new Dictionary<string, string>
        {
            ["Studio:Login:PasswordHash"] = StudioLogin.Hash("correct horse battery"),
            ["Studio:Login:User"] = "lin",
        });
        var page = await studio.NewPageAsync(PageLanguage.Chinese);
        await page.GotoAsync(new Uri(studio.Address, "/models").ToString());
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath);
        Assert.Equal(PageLanguage.Chinese, await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Equal("登录 · StyleStudio", await page.TitleAsync());
        Assert.Empty(await PageLanguage.UntranslatedAsync(page));

        await page.GetByLabel("用户名").FillAsync("lin");
        await page.GetByLabel("密码").FillAsync("wrong password");
        await page.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        await Assertions.Expect(page.Locator("#login-error")).ToHaveTextAsync("用户名或密码错误。");
        Assert.Equal(PageLanguage.Chinese, await page.Locator("html").GetAttributeAsync("lang"));
        Assert.Empty(await PageLanguage.UntranslatedAsync(page));

        await page.GetByLabel("用户名").FillAsync("lin");
        await page.GetByLabel("密码").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        await PageUrl.ExpectAsync(page, new Uri(studio.Address, "/models").ToString());
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator("h4")).ToHaveTextAsync("模型");
        await PageLanguage.AssertTranslatedAsync(page);
    }

    public async ValueTask DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(modelsFolder, recursive: true);
    }
}
