using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The dataset pages in a real browser: upload through the mapping step, rejected rows, rows, prompt preview
/// with the loss mask, cleaning into a new version and going back; re-map, rename and delete.</summary>
[Collection(StudioServer.Collection)]
public class DatasetPagesTests
{
    static DataStore Store(StudioServer studio) => studio.Services.GetRequiredService<DataStore>();

    static async Task UploadAsync(IPage page, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Choose file" }).ClickAsync());
        await chooser.SetFilesAsync(path);
    }

    /// <summary>Picks a column in the mapping step's select for <paramref name="label"/> (exact text: "B" must not pick "(none)").</summary>
    static async Task ChooseColumnAsync(IPage page, string label, string column)
    {
        await page.GetByLabel(label, new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex($"^\\s*{Regex.Escape(column)}\\s*$") }).First.ClickAsync();
    }

    /// <summary>A cell of the formatted preview: row (1-based) and column (Instruction, Input, Output, System, Style, History).</summary>
    static ILocator Formatted(IPage page, int row, int column) =>
        page.Locator($"#formatted-preview tbody tr:nth-child({row}) td:nth-child({column})");

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
        await UploadAsync(page, csv);
        await Assertions.Expect(page.GetByLabel("Dataset name")).ToHaveValueAsync("classical-pairs");   // named after the file
        await Assertions.Expect(page.Locator("#preview-rejections")).ToContainTextAsync("1 of all 4 rows of the file would be rejected");
        await Assertions.Expect(page.Locator("#preview-rejections")).ToContainTextAsync("output: missing or empty (1; row 5)");
        // Names matched, but a quarter of the rows fail: 75 % is below the bar, so the user confirms.
        await Assertions.Expect(page.Locator("#low-confidence")).ToContainTextAsync("75");
        await Assertions.Expect(page.Locator("#import-button")).ToBeDisabledAsync();
        await page.GetByLabel("I have checked the mapping").CheckAsync();
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
    public async Task The_mapping_step_warns_on_a_guess_and_imports_only_the_confirmed_mapping()
    {
        await using var studio = new StudioServer();
        string csv = Path.Combine(studio.DataFolder, "abc.csv");
        // Classical in A, modern in B, a style label in C; no telling names, so the detector guesses A → B by column order.
        File.WriteAllText(csv, "A,B,C\n今日天朗气清。,今天天气很好。,古风\n思君甚切。,我很想念你。,古风\n吾甚喜。,我很高兴。,古风\n其去矣。,,古风\n",
            new UTF8Encoding(false));

        var page = await studio.OpenAsync("/datasets");
        await UploadAsync(page, csv);
        await Assertions.Expect(page.Locator("#raw-rows")).ToContainTextAsync("今天天气很好。");
        await Assertions.Expect(page.Locator("#mapping-confidence")).ToContainTextAsync("columns (alpaca)");
        await Assertions.Expect(page.Locator("#low-confidence")).ToContainTextAsync("guessed from column order: 'A' → 'B'");
        await Assertions.Expect(page.Locator("#import-button")).ToBeDisabledAsync();
        await Assertions.Expect(Formatted(page, 1, 2)).ToHaveTextAsync("今日天朗气清。");   // the guess: classical as input
        await Assertions.Expect(Formatted(page, 1, 5)).ToHaveTextAsync("古风");              // C taken as the style

        await ChooseColumnAsync(page, "Output column", "(none)");
        await Assertions.Expect(page.Locator("#mapping-problem")).ToContainTextAsync("no column is mapped to output");
        await ChooseColumnAsync(page, "Output column", "C");
        await Assertions.Expect(Formatted(page, 1, 3)).ToHaveTextAsync("古风");
        await ChooseColumnAsync(page, "Output column", "B");
        await Assertions.Expect(Formatted(page, 1, 3)).ToHaveTextAsync("今天天气很好。");
        await Assertions.Expect(page.Locator("#preview-rejections")).ToContainTextAsync("1 of all 4 rows of the file would be rejected");
        await Assertions.Expect(page.Locator("#preview-rejections")).ToContainTextAsync("B: missing or empty");

        await page.Locator("#swap-input-output").ClickAsync();
        await Assertions.Expect(Formatted(page, 1, 2)).ToHaveTextAsync("今天天气很好。");
        await Assertions.Expect(Formatted(page, 1, 3)).ToHaveTextAsync("今日天朗气清。");
        await Assertions.Expect(Formatted(page, 1, 5)).ToHaveTextAsync("古风");
        Assert.Empty(Store(studio).Datasets());   // nothing stored yet

        await Assertions.Expect(page.Locator("#import-button")).ToBeDisabledAsync();   // still a guess until confirmed
        await page.GetByLabel("I have checked the mapping").CheckAsync();
        await page.Locator("#import-button").ClickAsync();
        await Assertions.Expect(page.Locator("#import-result")).ToContainTextAsync("Imported 3 rows into abc; 1 rejected");

        var rows = Store(studio).Rows(Store(studio).Find("abc").Id).ToList();
        Assert.Equal(("今天天气很好。", "今日天朗气清。", "古风"), (rows[0].Input!, rows[0].Output, rows[0].Style!));
        Assert.Equal("row 5: B: missing or empty", Assert.Single(Store(studio).ImportErrors(Store(studio).Find("abc").Id)).ToString());
        Assert.False(Directory.Exists(Path.Combine(studio.DataFolder, "incoming")) &&
                     Directory.EnumerateFileSystemEntries(Path.Combine(studio.DataFolder, "incoming")).Any(), "the scratch copy is gone");
    }

    [Fact]
    public async Task A_file_that_cannot_be_read_is_reported_with_its_line_and_leaves_no_dataset()
    {
        await using var studio = new StudioServer();
        string csv = Path.Combine(studio.DataFolder, "broken.csv");
        File.WriteAllText(csv, "input,output\nfine,row\n\"unclosed quote,row\nnext,row\n", new UTF8Encoding(false));

        var page = await studio.OpenAsync("/datasets");
        await UploadAsync(page, csv);
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("broken.csv");
        await Assertions.Expect(page.Locator("#import-error")).ToContainTextAsync("line 3");
        await Assertions.Expect(page.Locator("#import-button")).ToBeDisabledAsync();
        await page.Locator("#cancel-import").ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("No datasets yet");
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(studio.DataFolder, "incoming")));
    }

    [Fact]
    public async Task A_dataset_is_re_mapped_renamed_and_deleted_from_its_page()
    {
        await using var studio = new StudioServer();
        string csv = Path.Combine(studio.DataFolder, "ab.csv");
        File.WriteAllText(csv, "A,B\n今日天朗气清。,今天天气很好。\n思君甚切。,我很想念你。\n", new UTF8Encoding(false));
        var dataset = Store(studio).Import("ab", csv, new ImportOptions(), cancellation: TestContext.Current.CancellationToken).Dataset;   // imported the wrong way round
        string uploads = Path.GetDirectoryName(Store(studio).OriginalFile(dataset.Id))!;

        var page = await studio.OpenAsync("/datasets/ab");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Mapping" }).ClickAsync();
        await Assertions.Expect(page.Locator("#current-mapping")).ToContainTextAsync("A→input, B→output");
        await page.Locator("#remap-button").ClickAsync();
        await page.Locator("#swap-input-output").ClickAsync();
        await Assertions.Expect(Formatted(page, 1, 2)).ToHaveTextAsync("今天天气很好。");
        await page.GetByLabel("I have checked the mapping").CheckAsync();
        await page.Locator("#remap-save").ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-summary")).ToContainTextAsync("2 rows in version 2");
        await Assertions.Expect(page.Locator("#current-mapping")).ToContainTextAsync("B→input, A→output");
        Assert.Equal("今天天气很好。", Store(studio).Rows(dataset.Id).First().Input);

        await page.Locator("#rename-dataset").ClickAsync();
        await page.GetByLabel("New name").FillAsync("古风 对照");
        await page.Locator("#rename-save").ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-name")).ToHaveTextAsync("古风 对照");
        await page.Locator("#rename-dataset").ClickAsync();
        await page.GetByLabel("New name").FillAsync("a/b");
        await page.Locator("#rename-save").ClickAsync();
        await Assertions.Expect(page.Locator("#dataset-action-error")).ToContainTextAsync("path separators are not allowed");

        await page.Locator("#delete-dataset").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        Assert.Single(Store(studio).Datasets());
        await page.Locator("#delete-dataset").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Delete '古风 对照' with its 2 version(s)");
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        // Blazor navigates within the document (pushState): poll the address rather than wait for a page load.
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/datasets$"));
        await Assertions.Expect(page.Locator("#dataset-list")).ToContainTextAsync("No datasets yet");
        Assert.Empty(Store(studio).Datasets());
        Assert.False(Directory.Exists(uploads));
    }
}
