using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// A studio import stops when the user cancels it or leaves the page, and either way stores nothing: no dataset, no
/// copy of the file, no rejection report. The file: 200,000 rows (15 MB), seconds to upload and to import.
/// </summary>
[Collection(StudioServer.Collection)]
public class ImportCancellationTests
{
    static async Task<IPage> StartImportAsync(StudioServer studio)
    {
        string file = Path.Combine(studio.DataFolder, "pairs.jsonl");
        GeneratedFiles.JsonLines(file, 200_000, i => $$"""{"input": "今天天气很好 {{i}}", "output": "今日天朗气清 {{i}}"}""");
        var page = await studio.OpenAsync("/datasets");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Choose file" }).ClickAsync());
        await chooser.SetFilesAsync(file);
        await Assertions.Expect(page.Locator("#mapping-step")).ToBeVisibleAsync(new() { Timeout = 60_000 });   // uploads crawl on a busy machine
        await page.Locator("#import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#import-progress")).ToContainTextAsync("Importing rows");
        return page;
    }

    /// <summary>Nothing of the import is left: no dataset, nothing under uploads/.</summary>
    static bool NothingStored(StudioServer studio)
    {
        string uploads = Path.Combine(studio.DataFolder, "uploads");
        return studio.Services.GetRequiredService<DataStore>().Datasets().Count == 0
            && (!Directory.Exists(uploads) || Directory.GetFileSystemEntries(uploads).Length == 0);
    }

    [Fact]
    public async Task Cancel_during_an_import_stores_nothing_and_keeps_the_upload_for_another_try()
    {
        await using var studio = new StudioServer();
        var page = await StartImportAsync(studio);
        await page.Locator("#cancel-import").ClickAsync();
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("Import cancelled; nothing was stored.");
        Assert.True(NothingStored(studio));
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("No datasets yet");
        await Assertions.Expect(page.Locator("#import-button")).ToBeEnabledAsync();   // the mapping step is still there
    }

    [Fact]
    public async Task Leaving_the_page_during_an_import_cancels_it()
    {
        await using var studio = new StudioServer();
        var page = await StartImportAsync(studio);
        await page.GotoAsync(new Uri(studio.Address, "/").ToString());   // the circuit goes, and the page with it
        // Had the import run on, it would finish within seconds and list the dataset; cancelled, it removes its copy.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!(NothingStored(studio) && !Directory.EnumerateFileSystemEntries(Path.Combine(studio.DataFolder, "incoming")).Any()))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the import went on after the page was gone");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        await Task.Delay(2_000, TestContext.Current.CancellationToken);
        Assert.True(NothingStored(studio));
    }
}
