using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The evaluation page rewrites a dataset's rows with the chosen model and shows the sacreBLEU scores.</summary>
[Collection(StudioServer.Collection)]
public class EvaluationPageTests
{
    [Fact]
    public async Task Rows_whose_outputs_are_the_models_own_rewrites_get_chrF_100()
    {
        string[] inputs = ["The meeting has been cancelled.", "Please send the report today."];
        var own = GreedyRewrites.Of(inputs, maxNewTokens: 12);
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("held-out",
            inputs.Zip(own, (input, output) => new DatasetRow { Instruction = input, Output = output, Style = "casual" }), "test");

        var page = await studio.OpenAsync("/evaluation");
        await StudioServer.ChooseAsync(page, "Model", "qwen2");
        await page.GetByLabel("Max new tokens").FillAsync("12");
        await page.GetByLabel("Max new tokens").PressAsync("Tab");
        // The field's value reaches the server asynchronously; the plan line shows it has arrived (a click right after
        // typing was once handled first, and the rows were rewritten with the old limit).
        await Assertions.Expect(page.Locator("#evaluation-plan")).ToContainTextAsync("up to 12 new tokens");
        await page.Locator("#evaluate").ClickAsync();

        var overall = page.Locator("#evaluation-scores tr").Filter(new() { HasText = "all" });
        await Assertions.Expect(overall).ToContainTextAsync("100.00", new() { Timeout = 60_000 });   // chrF and chrF++
        await Assertions.Expect(page.Locator("#evaluation-rows")).ToContainTextAsync(inputs[1]);
    }
}
