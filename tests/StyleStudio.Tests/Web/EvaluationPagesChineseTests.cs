using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Reports;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The evaluation, rating and playground pages in Chinese, in their main states: empty, a form refused, a job run on the
/// tiny fixture model to the end (its report, the list, the comparison), a blind study made, rated and its results judged,
/// and the playground generating alone and side by side. Each state ends with the untranslated-text check.
/// </summary>
[Collection(StudioServer.Collection)]
public class EvaluationPagesChineseTests
{
    // Twelve rows in two styles, as EvaluationPageTests has them: enough texts for the style classifier. The references are
    // the tiny model's own greedy rewrites.
    static readonly string[] Inputs =
    [
        "会议已经取消了。", "请今天把报告发过来。", "给您带来不便，我们深表歉意。", "请确认您是否出席。", "办公室今天提前关门。", "感谢您的耐心等待。",
        "今天天气很好。", "我很想念远方的朋友。", "这本书我读了三遍。", "山上的风景很美。", "他每天早上跑步。", "我们明天再见。",
    ];

    [Fact]
    public async Task Empty_pages_without_models_or_data_are_all_in_Chinese()
    {
        string noModels = Directory.CreateTempSubdirectory("no-models-").FullName;
        await using var studio = new StudioServer(modelsFolder: noModels);

        var page = await studio.OpenAsync("evaluation", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#no-model-hint")).ToContainTextAsync("StyleStudio 里还没有模型");
        await Assertions.Expect(page.GetByText("暂无评估。")).ToBeVisibleAsync();
        await page.GetByText("大模型评审（可选）").ClickAsync();
        await Assertions.Expect(page.GetByLabel("评审接口地址")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        page = await studio.OpenAsync("evaluation/compare", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#nothing-to-compare")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        page = await studio.OpenAsync("evaluation/7", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#no-evaluation")).ToContainTextAsync("#7");
        await PageLanguage.AssertTranslatedAsync(page);

        page = await studio.OpenAsync("rate", PageLanguage.Chinese);
        await Assertions.Expect(page.GetByText("还没有评分研究。")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        page = await studio.OpenAsync("playground", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#no-model-hint")).ToContainTextAsync("试用页用你选择的模型改写文本");
        await Assertions.Expect(page.Locator("#loaded-model")).ToHaveTextAsync("未加载模型");
        await PageLanguage.AssertTranslatedAsync(page);
        Directory.Delete(noModels, recursive: true);
    }

    [Fact]
    public async Task An_evaluation_run_on_the_tiny_model_its_report_the_list_and_the_comparison_are_in_Chinese()
    {
        var own = GreedyRewrites.Of(Inputs, maxNewTokens: 12);
        // A judge that scores every row but the third, which it answers in prose (recorded as malformed).
        await using var judge = new ScriptedChatServer((request, _) =>
            request.Messages.Any(m => m.Content.Contains(Inputs[2])) ? new("大概四分吧。")
                : new("""{"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"}"""));
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("留出集", Inputs.Select((input, i) =>
            new DatasetRow { Instruction = input, Output = own[i], Style = i < 6 ? "公文" : "古风" }), "test");
        string folder = Directory.CreateTempSubdirectory("evaluation-zh-").FullName;

        // 1. The tiny model's rewrites, as a job followed to its report.
        var page = await studio.OpenAsync("evaluation", PageLanguage.Chinese);
        await ChooseAsync(page, "模型", "qwen2");
        await page.GetByLabel("最大新词元数").FillAsync("12");
        await page.GetByLabel("最大新词元数").PressAsync("Tab");
        await Assertions.Expect(page.Locator("#evaluation-plan")).ToContainTextAsync("每行最多 12 个新词元");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#evaluate").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/1");
        await Assertions.Expect(page.Locator("#evaluation-status")).ToHaveTextAsync("已完成", new() { Timeout = 120_000 });
        await Assertions.Expect(page.Locator("#classifier-quality")).ToContainTextAsync("分类正确");
        await Assertions.Expect(page.Locator("#evaluation-scores tr").Filter(new() { HasText = "全部" })).ToContainTextAsync("100.00");
        await Assertions.Expect(page.Locator("#evaluation-settings")).ToContainTextAsync("最多 12 个新词元");
        await PageLanguage.AssertTranslatedAsync(page);

        // 2. Uploaded predictions: one line too many is refused, in Chinese; the right file is judged by an LLM.
        var tooLong = Path.Combine(folder, "too-long.txt");
        File.WriteAllText(tooLong, string.Join('\n', Inputs.Append("多出来的一行")) + "\n", new UTF8Encoding(false));
        page = await studio.OpenAsync("evaluation", PageLanguage.Chinese);
        await UploadPredictionsAsync(page, tooLong);
        await Assertions.Expect(page.Locator("#predictions-chip")).ToContainTextAsync("（13 行）");
        await page.Locator("#evaluate").ClickAsync();
        await Assertions.Expect(page.Locator("#evaluation-error")).ToContainTextAsync("无法开始评估：");
        await PageLanguage.AssertTranslatedAsync(page);

        var copies = Path.Combine(folder, "copies.txt");
        File.WriteAllText(copies, string.Join('\n', Inputs) + "\n", new UTF8Encoding(false));
        await UploadPredictionsAsync(page, copies);
        await Assertions.Expect(page.Locator("#evaluation-plan")).ToContainTextAsync("将上传的 12 行与前 12 行对照打分");
        await page.GetByText("大模型评审（可选）").ClickAsync();
        await page.GetByLabel("评审接口地址").FillAsync(judge.BaseUrl.ToString());
        await page.GetByLabel("评审模型（如 gpt-4o）").FillAsync("judge-model");
        await page.GetByLabel("目标风格（供评审参考）").FillAsync("古风");
        await page.GetByLabel("目标风格（供评审参考）").PressAsync("Tab");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#evaluate").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/2");
        await Assertions.Expect(page.Locator("#evaluation-status")).ToHaveTextAsync("已完成", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#judge-summary")).ToContainTextAsync("11 行已打分的均值：风格 4.00 · 语义 5.00 · 流畅度 3.00");
        await Assertions.Expect(page.Locator("#evaluation-rows tr").Filter(new() { HasText = Inputs[2] })).ToContainTextAsync("格式错误");
        await PageLanguage.AssertTranslatedAsync(page);

        // 3. Both in the list, then compared with their charts.
        page = await studio.OpenAsync("evaluation", PageLanguage.Chinese);
        var list = page.Locator("#evaluation-list");
        await Assertions.Expect(list.Locator("tr").Filter(new() { HasText = "已完成" })).ToHaveCountAsync(2);
        await list.Locator("input[type=checkbox]").Nth(0).CheckAsync();
        await list.Locator("input[type=checkbox]").Nth(1).CheckAsync();
        await Assertions.Expect(page.Locator("#compare")).ToContainTextAsync("对比所选（2）");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#compare").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/compare?ids=1,2");
        await Assertions.Expect(page.Locator("svg.comparison-chart")).ToHaveCountAsync(3);
        await Assertions.Expect(page.GetByText("综合分（风格 × 内容 × 流畅度）")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("svg.comparison-chart").First).ToContainTextAsync("全部");   // the overall group
        await Assertions.Expect(page.Locator("#comparison tr").Filter(new() { HasText = "全部" })).ToHaveCountAsync(2);
        await PageLanguage.AssertTranslatedAsync(page);

        // The HTML report comes in the reader's language too (the CSV headers stay English, for programs).
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-compare-html").ClickAsync());
        var html = File.ReadAllText(await download.PathAsync());
        Assert.Contains("<h1>StyleStudio 评估报告</h1>", html);
        Assert.Contains("<h2>综合分（风格 ", html);                                     // × comes as an entity
        Assert.Contains("风格分类器：", html);
        Assert.DoesNotContain("held-out texts", html);
        Assert.Contains("<th>风格准确率</th>", html);
        download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-compare-csv").ClickAsync());
        Assert.StartsWith("evaluation,style,rows,bleu,chrf", File.ReadAllLines(await download.PathAsync(), Encoding.UTF8)[0].TrimStart('\uFEFF'));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_blind_study_made_rated_and_judged_is_in_Chinese_for_its_maker_and_its_raters()
    {
        string[] sources = ["今天天气很好。", "我很想念你。", "请把报告发给我。"];
        string[] formal = ["今日天朗气清。", "思君甚切。", "烦请惠赐报告。"];
        string[] casual = ["今天天儿真好！", "好想你啊～", "报告发我一下呗"];
        // A judge that gives every output the same scores: the agreement is then undefined, which the page must say.
        await using var judge = new ScriptedChatServer((_, _) => new("""{"style": 3, "meaning": 3, "fluency": 3, "reason": "ok"}"""));
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("古风对照.validation",
            sources.Select((s, i) => new DatasetRow { Instruction = "改写为古风", Input = s, Output = formal[i] }), "test");
        string formalFile = Write(studio, "formal.txt", formal), casualFile = Write(studio, "casual.txt", casual);
        string shortFile = Write(studio, "short.txt", casual.Take(2));

        // The study form: a file too short is refused, then the study is made.
        var page = await studio.OpenAsync("rate", PageLanguage.Chinese);
        await page.GetByLabel("研究名称").FillAsync("古风与口语");
        await page.GetByLabel("行数（前 N 行）").FillAsync("3");
        await page.GetByLabel("行数（前 N 行）").PressAsync("Tab");
        await ChooseAsync(page, "系统 1 的来源", "模型输出文件");
        await UploadAsync(page, "系统 1 的模型输出文件", formalFile);
        await Assertions.Expect(page.Locator("#system-1-file")).ToHaveTextAsync("formal.txt：3 行");
        await ChooseAsync(page, "系统 2 的来源", "模型输出文件");
        await UploadAsync(page, "系统 2 的模型输出文件", shortFile);
        await page.Locator("#create-study").ClickAsync();
        await Assertions.Expect(page.Locator("#study-error")).ToContainTextAsync("无法创建研究：");
        await PageLanguage.AssertTranslatedAsync(page);
        await UploadAsync(page, "系统 2 的模型输出文件", casualFile);
        await Assertions.Expect(page.Locator("#system-2-file")).ToHaveTextAsync("casual.txt：3 行");
        await page.Locator("#create-study").ClickAsync();
        await Assertions.Expect(page.Locator("#studies tbody tr").Filter(new() { HasText = "古风与口语" })).ToHaveCountAsync(1);
        await PageLanguage.AssertTranslatedAsync(page);
        int study = studio.Services.GetRequiredService<DataStore>().Ratings.All().Single().Id;

        // The rater's page: the name form, an item with its axes and choices, and the end.
        await page.GotoAsync(new Uri(studio.Address, $"rate/{study}").ToString());
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator("#start-rating")).ToHaveTextAsync("开始评分");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.GetByLabel("你的名字").FillAsync("王芳");
        await page.GetByLabel("你的名字").PressAsync("Enter");
        await page.Locator("#rating-area").WaitForAsync();
        await Assertions.Expect(page.Locator("#rating-progress")).ToHaveTextAsync("第 1 条，共 3 条 · 已评 0 条");
        await Assertions.Expect(page.Locator("#output-a")).ToContainTextAsync("风格强度");
        await Assertions.Expect(page.Locator("#choice-4")).ToContainTextAsync("都不好");
        await PageLanguage.AssertTranslatedAsync(page);
        string[] keys = ["1", "3", "4"];
        for (int item = 0; item < 3; item++)
        {
            await Assertions.Expect(page.Locator("#rating-progress")).ToHaveTextAsync($"第 {item + 1} 条，共 3 条 · 已评 {item} 条");
            // Every axis scored on both sides (the judge comparison below needs two outputs per axis).
            foreach (var axis in new[] { "style", "meaning", "fluency" })
            {
                await page.Locator($".score-a-{axis} .mud-rating-item").Nth(item).ClickAsync();
                await page.Locator($".score-b-{axis} .mud-rating-item").Nth(4 - item).ClickAsync();
            }
            await page.Locator("#rating-area").FocusAsync();
            await page.Keyboard.PressAsync(keys[item]);
        }
        await Assertions.Expect(page.Locator("#rating-done")).ToContainTextAsync("3 条已全部评完");
        await PageLanguage.AssertTranslatedAsync(page);

        // The results, with the one rater noted, then the judge: a bad address refused, a real judge compared.
        await page.GotoAsync(new Uri(studio.Address, $"rate/{study}/results").ToString());
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator("#results-summary")).ToContainTextAsync("1 位评分人 · 3 条（已评 3 条）· 3 次评分");
        await Assertions.Expect(page.Locator("#few-raters")).ToContainTextAsync("目前只有 1 位评分人");
        await Assertions.Expect(page.Locator("#axis-table")).ToContainTextAsync("语义保留");
        await PageLanguage.AssertTranslatedAsync(page);
        var panel = page.Locator("#judge-agreement");
        await panel.GetByLabel("评审接口地址").FillAsync("不是地址");
        await panel.GetByLabel("评审接口地址").PressAsync("Tab");
        await page.Locator("#run-judge").ClickAsync();
        await Assertions.Expect(page.Locator("#judge-error")).ToContainTextAsync("评审接口地址无效");
        await PageLanguage.AssertTranslatedAsync(page);
        await panel.GetByLabel("评审接口地址").FillAsync(judge.BaseUrl.ToString());
        await panel.GetByLabel("评审模型（如 gpt-4o）").FillAsync("judge-model");
        await panel.GetByLabel("目标风格（供评审参考）").FillAsync("古风");
        await panel.GetByLabel("目标风格（供评审参考）").PressAsync("Tab");
        await page.Locator("#run-judge").ClickAsync();
        var table = page.Locator("#judge-agreement-table");
        await Assertions.Expect(table.Locator("tr").Filter(new() { HasText = "流畅度" })).ToContainTextAsync("无定义（一侧取值恒定）", new() { Timeout = 30_000 });
        await PageLanguage.AssertTranslatedAsync(page);
    }

    [Fact]
    public async Task The_playground_loads_generates_and_compares_side_by_side_in_Chinese()
    {
        string models = Directory.CreateTempSubdirectory("playground-zh-models-").FullName;
        AdapterModelsFolder.Create(models);
        await using (var studio = new StudioServer(modelsFolder: models))
        {
            var page = await studio.OpenAsync("playground", PageLanguage.Chinese);
            await ChooseAsync(page, "模型", "qwen2");
            await page.Locator("#load-model").ClickAsync();
            await Assertions.Expect(page.Locator("#loaded-model")).ToContainTextAsync("已加载：qwen2（cpu");
            await page.GetByLabel("待改写文本").FillAsync("今天天气很好，我们去公园散步吧。");
            await page.GetByLabel("最大新词元数").FillAsync("8");
            await page.GetByLabel("随机种子（可选）").FillAsync("7");
            await page.GetByLabel("随机种子（可选）").PressAsync("Tab");
            await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("最多 8 个词元 · 种子 7");
            await page.Locator("#generate").ClickAsync();
            await Assertions.Expect(page.Locator("#generation-stats")).ToContainTextAsync("词元/秒", new() { Timeout = 60_000 });
            await PageLanguage.AssertTranslatedAsync(page);

            // An adapter: its strength slider shows.
            await ChooseAsync(page, "模型", "qwen2:lora-r4");
            await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("强度 1.00");
            await PageLanguage.AssertTranslatedAsync(page);

            // Side by side: the adapter, then the base joins it; two columns, each with its stats.
            await page.GetByText("并排对比").ClickAsync();
            await page.GetByLabel("模型", new() { Exact = true }).ClickAsync();
            await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex(@"^\s*qwen2\s*$") }).First.ClickAsync();
            await Assertions.Expect(page.Locator("#generation-plan")).ToContainTextAsync("2 个模型 · ");
            await StudioServer.CloseListAsync(page);
            await page.Locator("#generate").ClickAsync();
            var columns = page.Locator(".compare-column");
            await Assertions.Expect(columns).ToHaveCountAsync(2);
            for (int i = 0; i < 2; i++)
                await Assertions.Expect(columns.Nth(i).Locator(".compare-stats")).ToContainTextAsync("词元/秒", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator(".compare-model").Filter(new() { HasText = "qwen2（基座模型）" })).ToHaveCountAsync(1);
            await PageLanguage.AssertTranslatedAsync(page);
        }
        Directory.Delete(models, recursive: true);
    }

    [Fact]
    public void Every_phrase_of_the_HTML_report_and_every_chart_title_has_a_Chinese_translation()
    {
        // Passed to the localizer as values, not L["..."] literals, so the resource-key check cannot see them.
        string resources = Path.Combine(Fixtures.RepositoryRoot(), "src", "StyleStudio.Web", "Resources");
        var report = Keys(Path.Combine(resources, "Evaluations", "EvaluationReportLanguage.zh-CN.resx"));
        var compare = Keys(Path.Combine(resources, "Components", "Pages", "EvaluationCompare.zh-CN.resx"));
        var titles = EvaluationExport.HeadlineMetrics.Select(metric => metric.Title).ToList();
        var missing = EvaluationExport.ReportPhrases.Concat(titles).Where(phrase => !report.Contains(phrase))
            .Concat(titles.Where(title => !compare.Contains(title))).ToList();
        Assert.True(missing.Count == 0, "without a Chinese translation: " + string.Join(", ", missing));
    }

    static HashSet<string> Keys(string resx) =>
        [.. XDocument.Load(resx).Root!.Elements("data").Select(data => (string)data.Attribute("name")!)];

    /// <summary>Picks the option whose whole text is <paramref name="option"/> in the select labelled exactly <paramref name="label"/>
    /// (Chinese labels contain one another: 模型 is in 评审模型).</summary>
    static async Task ChooseAsync(IPage page, string label, string option)
    {
        await page.GetByLabel(label, new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item")
            .Filter(new() { HasTextRegex = new Regex($@"^\s*{Regex.Escape(option)}(\s|（|$)") }).First.ClickAsync();
    }

    static async Task UploadPredictionsAsync(IPage page, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Locator("#choose-predictions").ClickAsync());
        await chooser.SetFilesAsync(path);
    }

    static async Task UploadAsync(IPage page, string button, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync());
        await chooser.SetFilesAsync(path);
    }

    static string Write(StudioServer studio, string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(studio.DataFolder, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }
}
