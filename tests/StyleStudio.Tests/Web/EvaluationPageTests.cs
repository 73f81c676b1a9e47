using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Evaluation as a user runs it: an evaluation job started from the page (the model's own rewrites, then an uploaded
/// predictions file), followed to the end, reopened after leaving, compared, and exported.
/// </summary>
[Collection(StudioServer.Collection)]
public class EvaluationPageTests
{
    // Twelve rows in two styles: enough texts (24) for the style classifier; the outputs are the tiny model's own greedy
    // rewrites, so its evaluation must score chrF 100.
    static readonly string[] Inputs =
    [
        "The meeting has been cancelled.", "Please send the report today.", "We regret the inconvenience.",
        "Kindly confirm your attendance.", "The office will close early.", "Thank you for your patience.",
        "今天天气很好。", "我很想念远方的朋友。", "这本书我读了三遍。", "山上的风景很美。", "他每天早上跑步。", "我们明天再见。",
    ];

    [Fact]
    public async Task An_evaluation_job_runs_from_the_page_is_reopened_compared_and_exported()
    {
        var own = GreedyRewrites.Of(Inputs, maxNewTokens: 12);
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("held-out", Inputs.Select((input, i) =>
            new DatasetRow { Instruction = input, Output = own[i], Style = i < 6 ? "casual" : "古风" }), "test");

        // 1. The model's rewrites, as a job: the page moves to the evaluation and shows it finish.
        var page = await studio.OpenAsync("/evaluation");
        await StudioServer.ChooseAsync(page, "Model", "qwen2");
        await page.GetByLabel("Max new tokens").FillAsync("12");
        await page.GetByLabel("Max new tokens").PressAsync("Tab");
        await Assertions.Expect(page.Locator("#evaluation-plan")).ToContainTextAsync("up to 12 new tokens");
        await page.Locator("#evaluate").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/1");
        await Assertions.Expect(page.Locator("#evaluation-status")).ToHaveTextAsync("Completed", new() { Timeout = 120_000 });
        var overall = page.Locator("#evaluation-scores tr").Filter(new() { HasText = "all" });
        await Assertions.Expect(overall).ToContainTextAsync("100.00");                    // chrF and chrF++ of its own rewrites
        await Assertions.Expect(page.Locator("#classifier-quality")).ToContainTextAsync("held-out texts classified correctly");
        await Assertions.Expect(page.Locator("#evaluation-rows")).ToContainTextAsync(Inputs[7]);

        // 2. Reopened in a fresh page (nothing kept in the old one): the saved report.
        var reopened = await studio.OpenAsync("/evaluation/1");
        await Assertions.Expect(reopened.Locator("#evaluation-scores tr").Filter(new() { HasText = "all" })).ToContainTextAsync("100.00");

        // 3. Uploaded predictions (the inputs copied: nothing rewritten) for the same rows.
        var predictions = Path.Combine(Directory.CreateTempSubdirectory("evaluation-page-").FullName, "copies.txt");
        File.WriteAllText(predictions, string.Join('\n', Inputs) + "\n", new UTF8Encoding(false));
        page = await studio.OpenAsync("/evaluation");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Locator("#choose-predictions").ClickAsync());
        await chooser.SetFilesAsync(predictions);
        await Assertions.Expect(page.Locator("#predictions-chip")).ToContainTextAsync("copies.txt (12 lines)");
        await Assertions.Expect(page.Locator("#evaluation-plan")).ToContainTextAsync("scores the 12 uploaded lines");
        await page.Locator("#evaluate").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/2");
        await Assertions.Expect(page.Locator("#evaluation-status")).ToHaveTextAsync("Completed", new() { Timeout = 60_000 });
        var copies = page.Locator("#evaluation-scores tr").Filter(new() { HasText = "all" });
        await Assertions.Expect(copies).ToContainTextAsync("100.00");                     // self-BLEU: all copied

        // 4. Both in the list, compared side by side with charts.
        page = await studio.OpenAsync("/evaluation");
        var list = page.Locator("#evaluation-list");
        await Assertions.Expect(list).ToContainTextAsync("qwen2 on held-out");
        await Assertions.Expect(list).ToContainTextAsync("copies.txt on held-out");
        await list.Locator("input[type=checkbox]").Nth(0).CheckAsync();
        await list.Locator("input[type=checkbox]").Nth(1).CheckAsync();
        await Assertions.Expect(page.Locator("#compare")).ToContainTextAsync("Compare selected (2)");
        await page.Locator("#compare").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/compare?ids=1,2");
        var comparison = page.Locator("#comparison");
        await Assertions.Expect(comparison.Locator("tr").Filter(new() { HasText = "#1 qwen2 on held-out" })).ToHaveCountAsync(3);   // two styles + all
        await Assertions.Expect(comparison.Locator("tr").Filter(new() { HasText = "#2 copies.txt" })).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("svg.comparison-chart")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("svg.comparison-chart").First.Locator("rect")).Not.ToHaveCountAsync(0);

        // 5. Exports: the comparison as CSV, and a self-contained HTML report.
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-compare-csv").ClickAsync());
        var csv = File.ReadAllLines(await download.PathAsync(), Encoding.UTF8);
        Assert.StartsWith("evaluation,style,rows,bleu,chrf", csv[0].TrimStart('\uFEFF'));
        Assert.Equal(7, csv.Length);                                                      // header + 2 × (2 styles + all)
        Assert.Contains(csv, line => line.StartsWith("#2 copies.txt on held-out,all,12,", StringComparison.Ordinal));
        download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-compare-html").ClickAsync());
        var html = File.ReadAllText(await download.PathAsync());
        Assert.Contains("<svg", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://localhost", html);                                  // no links back to the studio

        // The rows of one evaluation, as CSV, from its own page.
        page = await studio.OpenAsync("/evaluation/2");
        download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        var rows = File.ReadAllLines(await download.PathAsync(), Encoding.UTF8);
        Assert.Equal(13, rows.Length);
        Assert.Contains(rows, line => line.Contains(Inputs[6]));
    }

    [Fact]
    public async Task A_predictions_file_longer_than_the_dataset_is_refused_naming_both_counts()
    {
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("held-out",
            Inputs.Select(input => new DatasetRow { Instruction = input, Output = input }), "test");
        var predictions = Path.Combine(Directory.CreateTempSubdirectory("evaluation-page-").FullName, "long.txt");
        File.WriteAllLines(predictions, Enumerable.Range(1, 15).Select(i => $"line {i}"));
        var page = await studio.OpenAsync("/evaluation");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Locator("#choose-predictions").ClickAsync());
        await chooser.SetFilesAsync(predictions);
        await Assertions.Expect(page.Locator("#predictions-chip")).ToContainTextAsync("long.txt (15 lines)");
        await page.Locator("#evaluate").ClickAsync();
        await Assertions.Expect(page.Locator("#evaluation-error")).ToContainTextAsync("long.txt has 15 lines but the evaluation takes 12 rows of 'held-out'");
        Assert.Empty(studio.Services.GetRequiredService<DataStore>().Evaluations.All());   // nothing queued
    }

    [Fact]
    public async Task An_llm_judge_scores_every_row_of_an_evaluation_with_its_key_kept_off_disk()
    {
        // A judge server speaking the chat-completions protocol: a valid verdict for every row but the third, which it
        // answers in prose (retried, then recorded as malformed — never guessed).
        await using var judge = new ScriptedChatServer((request, _) =>
            request.Messages.Any(m => m.Content.Contains(Inputs[2])) ? new("I'd say about a four.")
                : new("""{"style": 4, "meaning": 5, "fluency": 3, "reason": "ok"}"""));
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("held-out",
            Inputs.Take(6).Select(input => new DatasetRow { Instruction = input, Output = input.ToUpperInvariant(), Style = "casual" }), "test");
        var predictions = Path.Combine(Directory.CreateTempSubdirectory("evaluation-judge-").FullName, "outputs.txt");
        File.WriteAllLines(predictions, Inputs.Take(6));

        var page = await studio.OpenAsync("/evaluation");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Locator("#choose-predictions").ClickAsync());
        await chooser.SetFilesAsync(predictions);
        await Assertions.Expect(page.Locator("#predictions-chip")).ToContainTextAsync("(6 lines)");
        await page.GetByText("LLM judge (optional)").ClickAsync();
        await page.GetByLabel("Judge endpoint").FillAsync(judge.BaseUrl.ToString());
        await page.GetByLabel("Judge LLM (e.g. gpt-4o)").FillAsync("judge-model");
        await page.GetByLabel("API key (kept in memory only)").FillAsync("sk-judge-secret");
        await page.GetByLabel("Target style, for the judge").FillAsync("casual English");
        await page.GetByLabel("Target style, for the judge").PressAsync("Tab");
        await page.Locator("#evaluate").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/evaluation/1");
        await Assertions.Expect(page.Locator("#evaluation-status")).ToHaveTextAsync("Completed", new() { Timeout = 60_000 });

        var summary = page.Locator("#judge-summary");
        await Assertions.Expect(summary).ToContainTextAsync("means over 5 scored rows: style 4.00 · meaning 5.00 · fluency 3.00");
        await Assertions.Expect(summary).ToContainTextAsync("malformed replies: 1");
        await Assertions.Expect(page.Locator("#evaluation-rows tr").Filter(new() { HasText = Inputs[2] })).ToContainTextAsync("malformed");
        await Assertions.Expect(page.Locator("#evaluation-rows tr").Filter(new() { HasText = Inputs[0] })).ToContainTextAsync("4 / 5 / 3");
        Assert.All(judge.Requests, r => Assert.Equal("Bearer sk-judge-secret", r.Authorization));
        Assert.Equal(5 + 3, judge.Requests.Count);                                         // 5 verdicts, 3 attempts at the prose row
        var dataFiles = Directory.EnumerateFiles(studio.DataFolder, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(dataFiles, f => File.ReadAllText(f, Encoding.Latin1).Contains("sk-judge-secret"));
    }
}
