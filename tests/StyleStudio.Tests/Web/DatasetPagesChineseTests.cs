using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The dataset pages in Chinese, state by state: no English interface text from the empty list through the
/// mapping step, the import, every tab of a dataset, its dialogs and its error messages.</summary>
[Collection(StudioServer.Collection)]
public class DatasetPagesChineseTests
{
    static async Task UploadAsync(IPage page, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "选择文件" }).ClickAsync());
        await chooser.SetFilesAsync(path);
    }

    static async Task ChooseColumnAsync(IPage page, string label, string column)
    {
        await page.GetByLabel(label, new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(column)}\\s*$") }).First.ClickAsync();
    }

    static Task OpenTabAsync(IPage page, string name) => page.GetByRole(AriaRole.Tab, new() { Name = name }).ClickAsync();

    [Fact]
    public async Task Importing_a_file_shows_no_English_interface_text()
    {
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("datasets", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("还没有数据集");
        await PageLanguage.AssertTranslatedAsync(page);

        // A file that cannot be read: the parser's message stays English, after a Chinese lead-in.
        string broken = Path.Combine(studio.DataFolder, "坏文件.csv");
        File.WriteAllText(broken, "input,output\nfine,row\n\"unclosed quote,row\n", new UTF8Encoding(false));
        await UploadAsync(page, broken);
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("无法导入此文件：");
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("line 3");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#cancel-import").ClickAsync();

        // No telling column names: the detector guesses, so the mapping step asks for a confirmation; one row lacks an answer.
        string csv = Path.Combine(studio.DataFolder, "古风对照.csv");
        File.WriteAllText(csv, "甲,乙,丙\n今天天气很好。,今日天朗气清。,古风\n我很想念你。,思君甚切。,古风\n我很高兴。,吾甚喜。,古风\n他走了。,,古风\n",
            new UTF8Encoding(false));
        await UploadAsync(page, csv);
        await Assertions.Expect(page.Locator("#low-confidence")).ToContainTextAsync("置信度低");
        await Assertions.Expect(page.Locator("#preview-rejections")).ToContainTextAsync("文件全部 4 行中有 1 行会被拒绝");
        await Assertions.Expect(page.Locator("#import-hint")).ToContainTextAsync("我已核对字段映射");
        await PageLanguage.AssertTranslatedAsync(page);

        await ChooseColumnAsync(page, "输出列", "（无）");
        await Assertions.Expect(page.Locator("#mapping-problem")).ToContainTextAsync("此字段映射无法生成样本");
        await PageLanguage.AssertTranslatedAsync(page);
        await ChooseColumnAsync(page, "输出列", "乙");
        await Assertions.Expect(page.Locator("#preview-rejections")).ToContainTextAsync("（1 行；行号 5）");

        await page.GetByLabel("我已核对字段映射").CheckAsync();
        await page.Locator("#import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#import-result")).ToContainTextAsync("已将 3 行导入 古风对照；1 行被拒绝");
        await Assertions.Expect(page.Locator("#row-errors")).ToContainTextAsync("乙");
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("古风对照");
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task Every_tab_dialog_and_error_of_a_dataset_shows_no_English_interface_text()
    {
        await using var studio = new StudioServer();
        var store = studio.Services.GetRequiredService<DataStore>();
        string csv = Path.Combine(studio.DataFolder, "对照.csv");
        File.WriteAllText(csv, "instruction,input,output\n改写为古风,今天天气很好。,今日天朗气清。\n改写为古风,我很想念你。,思君甚切。\n" +
            "改写为古风,我很想念你。,思君甚切。\n改写为古风,他走了。,\n", new UTF8Encoding(false));
        store.Import("古风", csv, new(), cancellation: TestContext.Current.CancellationToken);

        var page = await studio.OpenAsync("datasets/古风", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#dataset-summary")).ToContainTextAsync("版本 1 共 3 行");
        await Assertions.Expect(page.Locator("#dataset-rows")).ToContainTextAsync("今日天朗气清。");
        await PageLanguage.AssertTranslatedAsync(page);

        await OpenTabAsync(page, "预览");
        await Assertions.Expect(page.Locator("#preview-counts")).ToContainTextAsync("个参与学习");
        await PageLanguage.AssertTranslatedAsync(page);

        await OpenTabAsync(page, "清洗");
        await page.Locator("#clean-button").ClickAsync();
        await Assertions.Expect(page.Locator("#clean-report")).ToContainTextAsync("完全重复");
        await Assertions.Expect(page.Locator("#dataset-summary")).ToContainTextAsync("版本 2 共 2 行");
        await PageLanguage.AssertTranslatedAsync(page);

        await OpenTabAsync(page, "字段映射");
        await Assertions.Expect(page.Locator("#current-mapping")).ToContainTextAsync("字段映射：");
        await page.Locator("#remap-button").ClickAsync();
        await Assertions.Expect(page.Locator("#formatted-preview")).ToContainTextAsync("今日天朗气清。");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#remap-cancel").ClickAsync();

        await OpenTabAsync(page, "版本");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "设为当前版本" })).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        await OpenTabAsync(page, "被拒绝的行（1）");
        await Assertions.Expect(page.Locator("#row-errors")).ToContainTextAsync("output");
        await PageLanguage.AssertTranslatedAsync(page);

        await page.Locator("#rename-dataset").ClickAsync();
        await page.GetByLabel("新名称").FillAsync("a/b");
        await page.Locator("#rename-save").ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-action-error")).ToContainTextAsync("重命名失败：");
        await PageLanguage.AssertTranslatedAsync(page);

        await page.Locator("#delete-dataset").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("删除“古风”及其 2 个版本");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "保留" }).ClickAsync();
        Assert.Single(store.Datasets());
    }

    [Fact]
    public async Task Without_a_model_the_preview_and_the_length_filter_say_so_in_Chinese()
    {
        var noModels = Directory.CreateTempSubdirectory("no-models-");
        await using var studio = new StudioServer(modelsFolder: noModels.FullName);
        studio.Services.GetRequiredService<DataStore>().Create("古风",
            [new DatasetRow { Instruction = "改写为古风", Input = "今天天气很好。", Output = "今日天朗气清。" }], "test");

        var page = await studio.OpenAsync("datasets/古风", PageLanguage.Chinese);
        await OpenTabAsync(page, "预览");
        await Assertions.Expect(page.Locator("#no-model-hint")).ToContainTextAsync("StyleStudio 里还没有模型");
        await PageLanguage.AssertTranslatedAsync(page);

        await OpenTabAsync(page, "清洗");
        await Assertions.Expect(page.GetByText("获取模型")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        await OpenTabAsync(page, "被拒绝的行（0）");
        await Assertions.Expect(page.GetByText("文件中的所有行都已导入。")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);
        noModels.Delete();
    }
}
