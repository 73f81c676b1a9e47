using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>A zip bomb uploaded to the studio is refused in the mapping step, by name, and the circuit lives on.</summary>
[Collection(StudioServer.Collection)]
public class ImportLimitsPageTests
{
    [Fact]
    public async Task A_zip_bomb_upload_is_refused_with_a_clear_message_and_nothing_stored()
    {
        await using var studio = new StudioServer();
        string bomb = Path.Combine(studio.DataFolder, "bomb.xlsx");
        GeneratedFiles.Xlsx(bomb, sheetBytes: 1_500L << 20);
        var page = await studio.OpenAsync("/datasets");
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Choose file" }).ClickAsync());
        await chooser.SetFilesAsync(bomb);
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync(
            "bomb.xlsx: entry xl/worksheets/sheet1.xml declares 1.46 GB uncompressed", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("the limit is 1 GB uncompressed per file");
        await page.Locator("#cancel-import").ClickAsync();   // drops the upload; the page still answers
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Choose file" })).ToBeEnabledAsync();
        Assert.Empty(studio.Services.GetRequiredService<DataStore>().Datasets());
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(studio.DataFolder, "incoming")));
    }
}
