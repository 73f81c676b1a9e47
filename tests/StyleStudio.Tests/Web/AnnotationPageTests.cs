using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Annotation;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// An annotation session by two people in the browser: a project made on the page from a corpus of the sample pairs'
/// inputs; Alice (English) and 王芳 (Chinese) working at the same time from the keyboard — typing, Ctrl+Enter, one skip
/// (Ctrl+S), one flag (Ctrl+Shift+F); a reviewer in Chinese whose page follows them live, reviews by keys, sees the
/// agreement chrF and publishes; and the dataset version that holds the accepted pairs with their authors.
/// </summary>
[Collection(StudioServer.Collection)]
public class AnnotationPageTests
{
    const int Items = 6;

    /// <summary>Three browsers' circuits on two loaded cores: an expectation waits as long as the suite's actions do
    /// (Playwright's own default is 5 s). It only lengthens waits, so other tests in the process lose nothing by it.</summary>
    public AnnotationPageTests() => Assertions.SetDefaultExpectTimeout(20_000);

    /// <summary>The first sample pairs: inputs to annotate, outputs as what Alice writes (王芳 writes her own wording).</summary>
    static (string[] Inputs, string[] Outputs) Samples()
    {
        var rows = File.ReadLines(Path.Combine(Fixtures.RepositoryRoot(), "samples", "modern-to-classical.jsonl")).Take(Items)
            .Select(line => JsonDocument.Parse(line).RootElement).ToList();
        return (rows.Select(r => r.GetProperty("input").GetString()!).ToArray(), rows.Select(r => r.GetProperty("output").GetString()!).ToArray());
    }

    static string Wording(string annotator, string output) => annotator == "Alice" ? output : output.TrimEnd('。', '？', '！') + "也。";

    [Fact]
    public async Task Two_annotators_write_at_once_by_keyboard_and_a_reviewer_publishes_their_accepted_pairs_with_authors()
    {
        var (inputs, outputs) = Samples();
        await using var studio = new StudioServer();
        var store = studio.Services.GetRequiredService<DataStore>();
        store.Corpora.Create("现代文", "现代文", "modern-to-classical.jsonl", inputs, "sentences");
        store.Styles.Create("古风", "", "将下文改写为古风：", null, null);

        // The project, made on the page: half of the items are written twice.
        var lead = await studio.OpenAsync("/");
        await lead.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Annotate" }).ClickAsync();
        await PageUrl.ExpectAsync(lead, "**/annotate");
        Assert.NotEqual("0px", await lead.Locator("#new-project").EvaluateAsync<string>("e => getComputedStyle(e).borderTopWidth"));   // styled
        await lead.GetByLabel("Project name", new() { Exact = true }).FillAsync("古风练习");
        await lead.GetByLabel("Target style", new() { Exact = true }).FillAsync("古风");
        await lead.GetByLabel("Dataset for accepted pairs", new() { Exact = true }).FillAsync("annotated");
        await lead.GetByLabel("Annotators", new() { Exact = true }).FillAsync("Alice, 王芳");
        await lead.GetByLabel("Written twice (%)", new() { Exact = true }).FillAsync("50");
        await lead.GetByLabel("Written twice (%)", new() { Exact = true }).PressAsync("Tab");
        await lead.Locator("#create-project").ClickAsync();
        var row = lead.Locator("#projects tbody tr").Filter(new() { HasText = "古风练习" });
        await Assertions.Expect(row).ToContainTextAsync($"0 / {Items}");
        var project = store.Annotations.All().Single();
        Assert.Equal(("将下文改写为古风：", 3), (project.Instruction, store.Annotations.Items(project.Id).Count(i => i.Double)));   // the style's instruction

        // The reviewer opens the review page first, in Chinese: nothing to review yet.
        var reviewer = await studio.OpenAsync($"annotate/{project.Id}/review", PageLanguage.Chinese);
        await reviewer.GetByLabel("你的名字").FillAsync("李雷");
        await reviewer.GetByLabel("你的名字").PressAsync("Enter");
        await Assertions.Expect(reviewer.Locator("#review-empty")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(reviewer);

        // Alice comes from the project list; 王芳 opens the project in Chinese and says who she is.
        var alice = await studio.NewPageAsync();
        await alice.GotoAsync(new Uri(studio.Address, "annotate").ToString());
        await alice.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await alice.Locator("#projects").GetByRole(AriaRole.Link, new() { Name = "Alice" }).ClickAsync();
        await PageUrl.ExpectAsync(alice, "**/annotate/*?as=Alice");
        var wang = await studio.OpenAsync($"annotate/{project.Id}", PageLanguage.Chinese);
        await wang.Locator("#who-am-i").GetByRole(AriaRole.Link, new() { Name = "王芳" }).ClickAsync();
        await Assertions.Expect(wang.Locator("#annotation-source")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(wang);
        Assert.NotEqual("0px", await wang.Locator("#annotation-text").EvaluateAsync<string>("e => getComputedStyle(e).borderTopWidth"));

        // Turn by turn, both at once: each writes, except Alice's second item (skipped) and 王芳's second (flagged).
        var pages = new Dictionary<string, IPage> { ["Alice"] = alice, ["王芳"] = wang };
        var turns = pages.Keys.ToDictionary(a => a, _ => 0);
        var written = new List<(string Annotator, int Index, string Text)>();
        int? skipped = null, flagged = null;
        bool reviewerSawItLive = false;
        while (true)
        {
            var busy = new List<KeyValuePair<string, IPage>>();
            foreach (var entry in pages)
                if (await entry.Value.Locator("#annotation-done").CountAsync() == 0) busy.Add(entry);
            if (busy.Count == 0) break;
            foreach (var (annotator, page) in busy)
            {
                var text = page.Locator("#annotation-text");
                await Assertions.Expect(text).ToBeFocusedAsync();   // focus lands in the text box, no click needed
                string source = await page.Locator("#annotation-source").InnerTextAsync();
                int index = Array.IndexOf(inputs, source);
                Assert.True(index >= 0, $"unexpected source '{source}'");
                int turn = turns[annotator]++;
                if (annotator == "Alice" && turn == 1)
                {
                    await page.Keyboard.PressAsync("Control+s");
                    skipped = index;
                }
                else if (annotator == "王芳" && turn == 1)
                {
                    await page.Keyboard.TypeAsync("半句");
                    await page.Keyboard.PressAsync("Control+Shift+F");
                    await Assertions.Expect(page.Locator("#flag-reason")).ToBeFocusedAsync();
                    await page.Keyboard.TypeAsync("原文有错字");
                    await page.Keyboard.PressAsync("Enter");
                    flagged = index;
                }
                else
                {
                    string wording = Wording(annotator, outputs[index]);
                    await page.Keyboard.TypeAsync(wording);
                    await page.Keyboard.PressAsync("Control+Enter");
                    written.Add((annotator, index, wording));
                }
                await page.WaitForFunctionAsync("""
                    previous => document.querySelector('#annotation-done') || (document.querySelector('#annotation-source')?.innerText ?? previous) !== previous
                    """, source);
                if (!reviewerSawItLive && written.Count > 0)
                {
                    // The reviewer's page shows a waiting item as soon as there is one, without a reload.
                    reviewerSawItLive = store.Annotations.Items(project.Id).Any(i => i.AwaitsReview(2));
                    if (reviewerSawItLive) await Assertions.Expect(reviewer.Locator("#review-item")).ToBeVisibleAsync();
                }
            }
        }
        Assert.True(reviewerSawItLive);
        Assert.NotNull(skipped);
        Assert.NotNull(flagged);
        await Assertions.Expect(alice.Locator("#annotation-done")).ToContainTextAsync("Nothing is left for you");
        await Assertions.Expect(wang.Locator("#annotation-done")).ToContainTextAsync("已没有留给你的条目");

        // What the pages did is what the store holds.
        var items = store.Annotations.Items(project.Id);
        foreach (var (annotator, index, text) in written) Assert.Equal(text, items[index].SubmissionOf(annotator)?.Text);
        Assert.Equal(written.Count, items.Sum(i => i.Submissions.Count));
        Assert.Equal(AssignmentStatus.Skipped, items[skipped!.Value].StatusOf("Alice"));
        Assert.Equal("原文有错字", items[flagged!.Value].Assignments.Single(a => a.Status == AssignmentStatus.Flagged).Reason);
        Assert.All(items.Where(i => i.Double && !i.Flagged && i.StatusOf("Alice") != AssignmentStatus.Skipped),
            i => Assert.Equal(["Alice", "王芳"], i.Submissions.Select(s => s.Annotator).Order(StringComparer.Ordinal)));
        Assert.All(items, i => Assert.True(i.AwaitsReview(2), $"item {i.Index + 1} should wait for review"));

        // The agreement panel: chrF between the two wordings over the items both wrote.
        var both = items.Where(i => i.Submissions.Count == 2).Select(i => (A: i.Submissions[0].Text, B: i.Submissions[1].Text)).ToList();
        Assert.NotEmpty(both);
        double mean = both.Average(p => (ChrF.Characters.Sentence(p.A, [p.B]) + ChrF.Characters.Sentence(p.B, [p.A])) / 2);
        double corpus = (ChrF.Characters.Corpus(both.Select(p => p.A).ToList(), [both.Select(p => p.B).ToList()])
                         + ChrF.Characters.Corpus(both.Select(p => p.B).ToList(), [both.Select(p => p.A).ToList()])) / 2;
        Assert.InRange(mean, 1, 99);
        string F1(double x) => x.ToString("F1", CultureInfo.InvariantCulture);
        await Assertions.Expect(reviewer.Locator("#agreement-chrf")).ToHaveTextAsync($"句子 chrF 平均 {F1(mean)} · 语料级 chrF {F1(corpus)}");
        await Assertions.Expect(reviewer.Locator("#agreement-items")).ToHaveTextAsync($"基于 3 条双人标注条目中的 {both.Count} 条");

        // Review by keys: the flagged item is rejected with a comment (R, text, Enter); an item written twice takes
        // 王芳's text (her number on screen); every other item its only text (A).
        var accepted = new Dictionary<int, string>();
        for (int n = 0; n < Items; n++)
        {
            var area = reviewer.Locator("#review-item");
            await Assertions.Expect(area).ToBeFocusedAsync();
            int index = Array.IndexOf(inputs, await reviewer.Locator("#review-source").InnerTextAsync());
            var item = items[index];
            if (item.Flagged)
            {
                await Assertions.Expect(reviewer.Locator(".review-flag")).ToContainTextAsync("王芳 标记了问题： 原文有错字");
                await reviewer.Keyboard.PressAsync("r");
                await Assertions.Expect(reviewer.Locator("#reject-comment")).ToBeFocusedAsync();
                await reviewer.Keyboard.TypeAsync("原文需先改正");
                await reviewer.Keyboard.PressAsync("Enter");
            }
            else if (item.Submissions.Count == 2)
            {
                string expected = F1(AnnotationChrF(item.Submissions[0].Text, item.Submissions[1].Text));
                await Assertions.Expect(reviewer.Locator("#item-chrf")).ToHaveTextAsync($"两段文本之间的 chrF：{expected}");
                int number = item.Submissions.ToList().FindIndex(s => s.Annotator == "王芳") + 1;
                await Assertions.Expect(reviewer.Locator($"#submission-{number}")).ToContainTextAsync("王芳");
                await reviewer.Keyboard.PressAsync(number.ToString(CultureInfo.InvariantCulture));
                accepted[index] = "王芳";
            }
            else
            {
                await reviewer.Keyboard.PressAsync("a");
                accepted[index] = item.Submissions[0].Annotator;
            }
            await reviewer.WaitForFunctionAsync("""
                previous => document.querySelector('#review-empty') || (document.querySelector('#review-source')?.innerText ?? previous) !== previous
                """, inputs[index]);
        }
        await Assertions.Expect(reviewer.Locator("#review-empty")).ToBeVisibleAsync();
        await Assertions.Expect(reviewer.Locator("#reviewed tbody tr")).ToHaveCountAsync(Items);
        await Assertions.Expect(reviewer.Locator("#reviewed")).ToContainTextAsync("原文需先改正");
        await Assertions.Expect(reviewer.Locator("#publish-ready")).ToHaveTextAsync($"有 {Items - 1} 对已采纳的文本对尚未写入数据集。");
        await PageLanguage.AssertTranslatedAsync(reviewer);

        // Publish: a new dataset, version 1, with each accepted pair and its author.
        await reviewer.Locator("#publish-pairs").ClickAsync();
        await Assertions.Expect(reviewer.Locator("#published")).ToContainTextAsync($"数据集第 1 版：新增 {Items - 1} 对，共 {Items - 1} 行。");
        await Assertions.Expect(reviewer.Locator("#publish-pairs")).ToBeDisabledAsync();   // nothing left to publish twice
        var dataset = store.Find("annotated");
        var rows = store.Rows(dataset.Id).ToList();
        var expectedRows = accepted.OrderBy(a => a.Key).Select(a => (inputs[a.Key], items[a.Key].SubmissionOf(a.Value)!.Text, a.Value, "将下文改写为古风：", "古风")).ToList();
        Assert.Equal(expectedRows, rows.Select(r => (r.Input!, r.Output, r.Author!, r.Instruction, r.Style!)));
        Assert.Contains("王芳", rows.Select(r => r.Author));
        Assert.Contains("Alice", rows.Select(r => r.Author));
        Assert.Equal(["annotated: 5 pairs accepted in '古风练习'"], store.Versions("annotated").Single().Steps);

        await reviewer.Locator("#published-dataset").ClickAsync();
        await PageUrl.ExpectAsync(reviewer, "**/datasets/annotated");
        foreach (var (_, output, _, _, _) in expectedRows) await Assertions.Expect(reviewer.Locator("#dataset-rows")).ToContainTextAsync(output);

        // The project list follows: every item done, five accepted and published.
        await Assertions.Expect(row).ToContainTextAsync($"{Items} / {Items}");
        await Assertions.Expect(row.Locator("td").Nth(5)).ToHaveTextAsync("5");
    }

    [Fact]
    public async Task A_model_writes_the_drafts_that_an_annotator_edits()
    {
        string[] inputs = ["The meeting has been cancelled.", "Please send the report today."];
        var drafts = GreedyRewrites.Of(inputs.Select(i => "Rewrite casually:\n" + i), maxNewTokens: 8).Select(d => d.Trim()).ToArray();
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("/annotate");
        await page.GetByLabel("Project name", new() { Exact = true }).FillAsync("casual drafts");
        await page.GetByLabel("Target style", new() { Exact = true }).FillAsync("casual");
        await page.GetByLabel("Instruction of the pairs", new() { Exact = true }).FillAsync("Rewrite casually:");
        await page.GetByLabel("Dataset for accepted pairs", new() { Exact = true }).FillAsync("casual-pairs");
        await page.GetByLabel("Annotators", new() { Exact = true }).FillAsync("Alice");
        await page.GetByLabel("Written twice (%)", new() { Exact = true }).FillAsync("0");
        await page.GetByLabel("One text per line (a tab, then a draft, if any)").FillAsync(string.Join("\n", inputs));
        await StudioServer.ChooseAsync(page, "Drafts written by a model", "qwen2");
        // The choice re-renders the form: wait for it, else that render can put the old number back after typing.
        await Assertions.Expect(page.Locator(".mud-popover-open")).ToHaveCountAsync(0);
        var maxTokens = page.GetByLabel("Draft max new tokens", new() { Exact = true });
        await maxTokens.FillAsync("8");
        await maxTokens.PressAsync("Tab");
        await Assertions.Expect(maxTokens).ToHaveValueAsync("8");
        await page.Locator("#create-project").ClickAsync();
        await Assertions.Expect(page.Locator("#projects")).ToContainTextAsync("casual drafts", new() { Timeout = 60_000 });
        var project = studio.Services.GetRequiredService<DataStore>().Annotations.All().Single();
        Assert.Equal("pasted lines, drafts by qwen2", project.SourceDescription);

        // The draft is in the box; the annotator adds to it from the keyboard and moves on to the next draft.
        await page.Locator("#projects").GetByRole(AriaRole.Link, new() { Name = "Alice" }).ClickAsync();
        var text = page.Locator("#annotation-text");
        await Assertions.Expect(text).ToHaveValueAsync(drafts[0]);
        await Assertions.Expect(text).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.TypeAsync(" lol");
        await page.Keyboard.PressAsync("Control+Enter");
        await Assertions.Expect(page.Locator("#annotation-source")).ToHaveTextAsync(inputs[1]);
        await Assertions.Expect(text).ToHaveValueAsync(drafts[1]);
        Assert.Equal((drafts[0] + " lol").Trim(), studio.Services.GetRequiredService<DataStore>().Annotations.Item(project.Id, 0).SubmissionOf("Alice")!.Text);
        await Assertions.Expect(page.Locator("#annotation-progress")).ToHaveTextAsync("1 / 2 items done · you wrote 1");
    }

    static double AnnotationChrF(string a, string b) => (ChrF.Characters.Sentence(a, [b]) + ChrF.Characters.Sentence(b, [a])) / 2;
}
