using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Rating;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Tests.Support;
using StyleStudio.Web.Rating;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The judge calibrated against people on a rating study's results page: a judge that agrees with the raters on style,
/// contradicts them on meaning and says the same on fluency must show ρ = τ = 1, ρ = τ = −1 and "undefined".
/// </summary>
[Collection(StudioServer.Collection)]
public class RatingJudgeAgreementTests
{
    const int Items = 6;

    static int HumanStyle(int system, int item) => (item + 2 * system) % 5 + 1;
    static int HumanMeaning(int system, int item) => (3 * item + system) % 5 + 1;

    [Fact]
    public async Task The_results_page_shows_how_the_judge_ranks_outputs_against_the_raters()
    {
        string Output(int system, int item) => $"{(system == 1 ? "Alpha" : "Beta")} rewrite number {item}.";
        await using var judge = new ScriptedChatServer((request, _) =>
        {
            var text = string.Join("\n", request.Messages.Select(m => m.Content));
            foreach (int system in new[] { 1, 2 })
                for (int item = 0; item < Items; item++)
                    if (text.Contains(Output(system, item)))
                        return new($$"""{"style": {{HumanStyle(system, item)}}, "meaning": {{6 - HumanMeaning(system, item)}}, "fluency": 3}""");
            return new("no such output");
        });
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("held-out",
            Enumerable.Range(0, Items).Select(i => new DatasetRow { Instruction = $"Source sentence {i}.", Output = $"Reference {i}." }), "test");
        var studies = studio.Services.GetRequiredService<RatingStudies>();
        var study = await studies.CreateAsync(new StudyRequest("judge check", "held-out", Items,
            new PredictionsSystem("alpha.txt", Enumerable.Range(0, Items).Select(i => Output(1, i)).ToList()),
            new PredictionsSystem("beta.txt", Enumerable.Range(0, Items).Select(i => Output(2, i)).ToList())),
            cancellation: TestContext.Current.CancellationToken);
        for (int item = 0; item < Items; item++)
        {
            var seen = studies.Item(study.Id, "ann", item);
            var (a, b) = seen.Swapped ? (2, 1) : (1, 2);
            studies.Rate(study.Id, "ann", item, ScreenChoice.Tie,
                new AxisScores(HumanStyle(a, item), HumanMeaning(a, item), 4), new AxisScores(HumanStyle(b, item), HumanMeaning(b, item), 4));
        }

        var page = await studio.OpenAsync($"/rate/{study.Id}/results");
        var panel = page.Locator("#judge-agreement");
        await panel.GetByLabel("Judge endpoint").FillAsync(judge.BaseUrl.ToString());
        await panel.GetByLabel("Judge LLM (e.g. gpt-4o)").FillAsync("judge-model");
        await panel.GetByLabel("Target style, for the judge").FillAsync("plain English");
        await panel.GetByLabel("Target style, for the judge").PressAsync("Tab");
        await page.Locator("#run-judge").ClickAsync();

        var table = page.Locator("#judge-agreement-table");
        await Assertions.Expect(table.Locator("tr").Filter(new() { HasText = "style" })).ToContainTextAsync($"{2 * Items}1.0001.000", new() { Timeout = 30_000 });
        await Assertions.Expect(table.Locator("tr").Filter(new() { HasText = "meaning" })).ToContainTextAsync($"{2 * Items}-1.000-1.000");
        await Assertions.Expect(table.Locator("tr").Filter(new() { HasText = "fluency" })).ToContainTextAsync("undefined");
        Assert.Equal(2 * Items, judge.Requests.Count);                                     // one verdict per output
    }
}
