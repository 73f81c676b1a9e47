using System.Text;
using Microsoft.Playwright;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The dataset pages in a real browser: upload, rejected rows, rows, prompt preview with the loss mask, cleaning
/// into a new version and going back to the old one.</summary>
[Collection(StudioServer.Collection)]
public class DatasetPagesTests
{
    [Fact]
    public async Task Upload_preview_clean_and_revert_in_the_browser()
    {
        await using var studio = new StudioServer();
        string csv = Path.Combine(studio.DataFolder, "classical-pairs.csv");
        File.WriteAllText(csv, new StringBuilder()
            .AppendLine("instruction,input,output")
            .AppendLine("改写为古风,今天天气很好。,今日天朗气清。")
            .AppendLine("改写为古风,我很想念你。,思君甚切。")
            .AppendLine("改写为古风,我很想念你。,思君甚切。")                  // an exact duplicate for the cleaning step
            .AppendLine("改写为古风,他走了。,")                              // no output: rejected
            .ToString(), new UTF8Encoding(false));

        var page = await studio.OpenAsync("/datasets");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Choose file" }).ClickAsync());
        await chooser.SetFilesAsync(csv);
        await Assertions.Expect(page.GetByLabel("Dataset name")).ToHaveValueAsync("classical-pairs");   // named after the file
        await page.Locator("#import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#import-result")).ToContainTextAsync("Imported 3 rows into classical-pairs; 1 rejected");

        await Assertions.Expect(page.Locator("#row-errors")).ToContainTextAsync("output");
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("classical-pairs");

        await page.GetByRole(AriaRole.Link, new() { Name = "classical-pairs" }).ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-summary")).ToContainTextAsync("3 rows in version 1");
        await Assertions.Expect(page.Locator("#dataset-rows")).ToContainTextAsync("今日天朗气清。");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Preview" }).ClickAsync();
        // Row 1 through the qwen template with the fixture model's tokenizer: the answer is learned, the prompt masked.
        await Assertions.Expect(page.Locator("#prompt-preview .token-trained")).ToContainTextAsync("今日天朗气清。");
        await Assertions.Expect(page.Locator("#prompt-preview .token-masked").First).ToContainTextAsync("<|im_start|>");
        await Assertions.Expect(page.Locator("#preview-counts")).ToContainTextAsync("learned");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Clean" }).ClickAsync();
        await page.Locator("#clean-button").ClickAsync();
        await Assertions.Expect(page.Locator("#clean-report")).ToContainTextAsync("exact duplicates");
        await Assertions.Expect(page.Locator("#dataset-summary")).ToContainTextAsync("2 rows in version 2");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Versions" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Make current" }).ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-summary")).ToContainTextAsync("3 rows in version 1");
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_is_reported_with_its_line_and_leaves_no_dataset()
    {
        await using var studio = new StudioServer();
        string csv = Path.Combine(studio.DataFolder, "broken.csv");
        File.WriteAllText(csv, "input,output\nfine,row\n\"unclosed quote,row\nnext,row\n", new UTF8Encoding(false));

        var page = await studio.OpenAsync("/datasets");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Choose file" }).ClickAsync());
        await chooser.SetFilesAsync(csv);
        await page.Locator("#import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("broken.csv");
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("line 3");
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("No datasets yet");
    }
}
