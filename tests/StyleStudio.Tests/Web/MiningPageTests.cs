using StyleStudio.Data.Pairs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The mining page as a user meets it, in English and Chinese, on two corpora made from sample pairs shuffled apart with
/// unrelated lines (so each shown pair can be judged from the known truth): mine, confirm the sample by buttons and keys,
/// read the trade-off, review candidates, publish, and find the review intact after a reload.
/// </summary>
[Collection(StudioServer.Collection)]
public class MiningPageTests
{
    static DataStore Store(StudioServer studio) => studio.Services.GetRequiredService<DataStore>();

    /// <summary>Creates the two corpora in the studio's store and returns the true (source, target) pairs.</summary>
    static HashSet<(string, string)> CreateCorpora(StudioServer studio, int seed)
    {
        var corpora = ShuffledCorpora.From(ShuffledCorpora.SamplePairs("official-to-social"), 0.25, seed);
        Store(studio).Corpora.Create("official", "正式", "official.txt", corpora.Sources, "lines");
        Store(studio).Corpora.Create("social", "社交", "social.txt", corpora.Targets, "lines");
        return corpora.Truth.Select(t => (corpora.Sources[t.Key], corpora.Targets[t.Value])).ToHashSet();
    }

    /// <summary>Answers every sampled pair from the truth, by button or by key, waiting for each answer to be counted.</summary>
    static async Task LabelSampleAsync(IPage page, HashSet<(string, string)> truth, int size, Func<int, bool, Task> answer, string counted)
    {
        for (int i = 0; i < size; i++)
        {
            string source = await page.Locator("#sample-source").TextContentAsync() ?? "";
            string target = await page.Locator("#sample-target").TextContentAsync() ?? "";
            await answer(i, truth.Contains((source, target)));
            if (i < size - 1) await Assertions.Expect(page.Locator("#sample-progress")).ToContainTextAsync(string.Format(counted, i + 1));
        }
        await Assertions.Expect(page.Locator("#sample-done")).ToBeVisibleAsync();
    }

    /// <summary>What publishing must add: kept by the threshold and not judged wrong or rejected, or judged right or accepted below it.</summary>
    static List<MiningCandidate> Expected(DataStore store, int session)
    {
        var record = store.Mining.Get(session);
        var decisions = store.Mining.Decisions(session);
        var labels = record.Sample.ToDictionary(s => s.Candidate, s => s.Correct!.Value);
        return store.Mining.Candidates(session).Where(c =>
            decisions.TryGetValue(c.Index, out var d) ? d == PairDecision.Accepted
            : labels.TryGetValue(c.Index, out bool right) ? right
            : c.Score >= record.Threshold).ToList();
    }

    static ILocator Row(IPage page, int index) => page.Locator($"#candidate-list tr.candidate[data-index='{index}']");

    [Fact]
    public async Task Mined_pairs_are_confirmed_reviewed_and_published_and_the_review_survives_a_reload()
    {
        await using var studio = new StudioServer();
        var truth = CreateCorpora(studio, seed: 3);
        var store = Store(studio);

        var page = await studio.OpenAsync("/");
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Mine pairs" }).ClickAsync();
        await PageUrl.ExpectAsync(page, "**/pairs/mine");
        // Styled and live: MudBlazor's sheet draws the outlined selects, and a select opens and takes a choice.
        Assert.NotEqual("0px", await page.Locator(".mud-input-outlined-border").First.EvaluateAsync<string>("e => getComputedStyle(e).borderTopWidth"));
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Source corpus" })).ToHaveTextAsync("official");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Target corpus" })).ToHaveTextAsync("social");
        await StudioServer.ChooseAsync(page, "Document order", "unrelated orders");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Document order" })).ToHaveTextAsync("unrelated orders");
        await page.Locator("#mine").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/pairs/mine/*");
        var session = Assert.Single(store.Mining.All());
        Assert.Equal(("official", "social", "Unrelated"), (session.SourceCorpus, session.TargetCorpus, session.Order));
        await Assertions.Expect(page.Locator("#threshold-waiting")).ToBeVisibleAsync();

        // The sample: even pairs by button, odd ones by key (Y/N, then →/←).
        await LabelSampleAsync(page, truth, session.Sample.Count, async (i, right) =>
        {
            if (i % 2 == 0) await page.Locator(right ? "#sample-correct" : "#sample-wrong").ClickAsync();
            else await page.Keyboard.PressAsync(i % 4 == 1 ? (right ? "y" : "n") : (right ? "ArrowRight" : "ArrowLeft"));
        }, "· {0} labelled");
        session = store.Mining.Get(session.Id);
        var candidates = store.Mining.Candidates(session.Id);
        Assert.All(session.Sample, s => Assert.Equal(truth.Contains((candidates[s.Candidate].Source, candidates[s.Candidate].Target)), s.Correct));

        await Assertions.Expect(page.Locator("#mining-sessions .mining-session td").Nth(2)).ToHaveTextAsync($"{session.Sample.Count} / {session.Sample.Count}");

        // The trade-off: one row per sampled score, the suggestion chosen.
        var estimate = PairMining.Estimate(session, candidates);
        double suggested = estimate.Suggest() ?? throw new Xunit.Sdk.XunitException("no threshold reaches 90 % on the sample");
        Assert.Equal(suggested, session.Threshold);
        await Assertions.Expect(page.Locator("#tradeoff-table tbody tr")).ToHaveCountAsync(estimate.Points.Count);
        await Assertions.Expect(page.Locator("#tradeoff-table tr[aria-current='true'] .tradeoff-threshold")).ToContainTextAsync("suggested");
        await Assertions.Expect(page.Locator("#suggestion")).ToContainTextAsync($"Suggested: {PairMining.Format(suggested)}");
        await Assertions.Expect(page.Locator("#threshold")).ToHaveValueAsync(PairMining.Format(suggested));
        int kept = candidates.Count(c => c.Score >= suggested);
        await Assertions.Expect(page.Locator("#threshold-estimate")).ToContainTextAsync($"{kept:N0} pairs kept");

        // Reject a kept candidate by button, accept one below the threshold by key.
        var sampled = session.Sample.Select(s => s.Candidate).ToHashSet();
        await page.Locator("#filter-above").ClickAsync();
        var rejected = candidates.First(c => c.Score >= suggested && !sampled.Contains(c.Index));
        await Row(page, rejected.Index).Locator(".reject-candidate").ClickAsync();
        await Assertions.Expect(Row(page, rejected.Index).Locator(".candidate-state")).ToHaveTextAsync("rejected");
        await page.Locator("#filter-below").ClickAsync();
        var accepted = candidates.First(c => c.Score < suggested && !sampled.Contains(c.Index));
        await Row(page, accepted.Index).Locator(".candidate-score").ClickAsync();
        await page.Keyboard.PressAsync("a");
        await Assertions.Expect(Row(page, accepted.Index).Locator(".candidate-state")).ToHaveTextAsync("accepted");
        Assert.Equal(new Dictionary<int, PairDecision> { [rejected.Index] = PairDecision.Rejected, [accepted.Index] = PairDecision.Accepted },
            store.Mining.Decisions(session.Id).ToDictionary());

        // Publish to a new dataset.
        var expected = Expected(store, session.Id);
        int keptAbove = expected.Count(c => c.Score >= suggested), acceptedBelow = expected.Count(c => c.Score < suggested);
        await Assertions.Expect(page.Locator("#publish-summary"))
            .ToContainTextAsync($"{expected.Count} pairs will be published: {keptAbove} kept by the threshold, {acceptedBelow} accepted below it.");
        await page.Locator("#publish-dataset").FillAsync("mined-en");
        await page.Locator("#publish-style").FillAsync("social");
        await page.Locator("#publish-instruction").FillAsync("Rewrite as a post:");
        await page.Locator("#publish").ClickAsync();
        await Assertions.Expect(page.Locator("#published")).ToContainTextAsync($"Version 1 of mined-en: {expected.Count} rows ({expected.Count} added).");
        var rows = store.Rows(store.Find("mined-en").Id).ToList();
        Assert.Equal(expected.Select(c => (c.Source, c.Target, (double?)c.Score)), rows.Select(r => (r.Input!, r.Output, r.Score)));
        Assert.All(rows, r => Assert.Equal(("Rewrite as a post:", "social"), (r.Instruction, r.Style)));
        Assert.Contains(rows, r => r.Input == accepted.Source);
        Assert.DoesNotContain(rows, r => r.Input == rejected.Source);
        Assert.Equal("datasets/mined-en", await page.Locator("#published-link").GetAttributeAsync("href"));

        // A reload keeps the session, its labels, decisions, threshold and publication.
        await page.ReloadAsync();
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.Locator("#sample-done")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#threshold")).ToHaveValueAsync(PairMining.Format(suggested));
        await Assertions.Expect(page.Locator("#mining-sessions .session-corpora")).ToHaveTextAsync(["official × social"]);
        await Assertions.Expect(page.Locator("#publications")).ToContainTextAsync("mined-en");
        await page.Locator("#filter-decided").ClickAsync();
        await Assertions.Expect(Row(page, rejected.Index).Locator(".candidate-state")).ToHaveTextAsync("rejected");
        await Assertions.Expect(Row(page, accepted.Index).Locator(".candidate-state")).ToHaveTextAsync("accepted");
        await Assertions.Expect(page.Locator("#candidate-list tr.candidate")).ToHaveCountAsync(session.Sample.Count + 2);
    }

    [Fact]
    public async Task An_English_session_says_it_was_compared_by_meaning_in_both_languages()
    {
        await using var studio = new StudioServer();
        var english = ShuffledCorpora.From(ShuffledCorpora.HeldOutPairs("formal-casual-en"), 0.25, seed: 5);
        Store(studio).Corpora.Create("formal", "formal", "formal.txt", english.Sources, "lines");
        Store(studio).Corpora.Create("casual", "casual", "casual.txt", english.Targets, "lines");
        CreateCorpora(studio, seed: 6);

        var page = await studio.OpenAsync("pairs/mine");
        await StudioServer.ChooseAsync(page, "Source corpus", "formal");
        await StudioServer.ChooseAsync(page, "Target corpus", "casual");
        await page.Locator("#mine").ClickAsync();
        await Assertions.Expect(page.Locator("#mining-sessions .session-meaning")).ToHaveTextAsync("compared by meaning too (all-MiniLM-L6-v2)",
            new() { Timeout = 60_000 });

        // A Chinese session says nothing of the sort; the caption is translated.
        await studio.Services.GetRequiredService<PairMining>().MineAsync("official", "social", CorpusOrder.Unrelated, null, TestContext.Current.CancellationToken);
        var chinese = await studio.OpenAsync("pairs/mine", PageLanguage.Chinese);
        await Assertions.Expect(chinese.Locator("#mining-sessions .mining-session")).ToHaveCountAsync(2);
        await Assertions.Expect(chinese.Locator("#mining-sessions .session-meaning")).ToHaveTextAsync(["同时按语义比对（all-MiniLM-L6-v2）"]);
    }

    [Fact]
    public async Task In_Chinese_each_step_is_translated_and_the_pairs_are_published()
    {
        await using var studio = new StudioServer();
        var truth = CreateCorpora(studio, seed: 4);
        var store = Store(studio);

        var page = await studio.OpenAsync("pairs/mine", PageLanguage.Chinese);
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "源语料" })).ToHaveTextAsync("official");
        await PageLanguage.AssertTranslatedAsync(page);

        // The same corpus on both sides is refused with the reason, and nothing is stored.
        await StudioServer.ChooseAsync(page, "目标语料", "official");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "目标语料" })).ToHaveTextAsync("official");
        await page.Locator("#mine").ClickAsync();
        await Assertions.Expect(page.Locator("#mining-error")).ToContainTextAsync("未能挖掘：");
        await Assertions.Expect(page.Locator("#mining-error")).ToContainTextAsync("choose two different corpora; both sides are 'official'");
        await PageLanguage.AssertTranslatedAsync(page);
        Assert.Empty(store.Mining.All());

        await StudioServer.ChooseAsync(page, "目标语料", "social");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "目标语料" })).ToHaveTextAsync("social");
        await page.Locator("#mine").ClickAsync();
        await PageUrl.ExpectAsync(page, "**/pairs/mine/*");
        await Assertions.Expect(page.Locator("#sample-area")).ToBeVisibleAsync();
        await PageLanguage.AssertTranslatedAsync(page);

        var session = Assert.Single(store.Mining.All());
        await Assertions.Expect(page.Locator("#sample-area")).ToBeFocusedAsync();   // ready for the keys without a click
        await LabelSampleAsync(page, truth, session.Sample.Count,
            (_, right) => page.Keyboard.PressAsync(right ? "ArrowRight" : "ArrowLeft"), "已标注 {0} 对");
        await Assertions.Expect(page.Locator("#tradeoff-table")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#suggestion")).ToContainTextAsync("建议：");
        await PageLanguage.AssertTranslatedAsync(page);

        await page.Locator("#filter-below").ClickAsync();
        await PageLanguage.AssertTranslatedAsync(page);
        var expected = Expected(store, session.Id);
        await page.Locator("#publish-dataset").FillAsync("挖掘");
        await page.Locator("#publish-instruction").FillAsync("改写成社交媒体帖子：");
        await page.Locator("#publish").ClickAsync();
        await Assertions.Expect(page.Locator("#published")).ToContainTextAsync($"共 {expected.Count} 行");
        await PageLanguage.AssertTranslatedAsync(page);
        var rows = store.Rows(store.Find("挖掘").Id).ToList();
        Assert.Equal(expected.Select(c => (c.Source, c.Target, (double?)c.Score)), rows.Select(r => (r.Input!, r.Output, r.Score)));
        Assert.All(rows, r => Assert.Equal("社交", r.Style));   // the target corpus's style, unless the user gives another

        // Publishing again adds nothing, and says why.
        await page.Locator("#publish").ClickAsync();
        await Assertions.Expect(page.Locator("#publish-error")).ToContainTextAsync("未发布：");
        await Assertions.Expect(page.Locator("#publish-error")).ToContainTextAsync("already in '挖掘'");
        await PageLanguage.AssertTranslatedAsync(page);
        Assert.Single(store.Versions("挖掘"));
    }
}
