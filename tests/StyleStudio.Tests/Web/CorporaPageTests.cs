using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The corpora page as a user meets it, in English and Chinese: upload a text file and a Word document, choose the split,
/// see the counts and the texts, relabel the style, delete after confirming; a scanned PDF is refused by name.
/// </summary>
[Collection(StudioServer.Collection)]
public class CorporaPageTests
{
    const string Poem = "滚滚长江东逝水，浪花淘尽\n英雄。是非成败转头空。\n\n青山依旧在，几度\n夕阳红。\n";

    static CorpusStore Corpora(StudioServer studio) => studio.Services.GetRequiredService<DataStore>().Corpora;

    static async Task UploadAsync(IPage page, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Locator("#choose-corpus-file").ClickAsync());
        await chooser.SetFilesAsync(path);
        await Assertions.Expect(page.Locator("#pending-file")).ToHaveTextAsync(Path.GetFileName(path));
    }

    static ILocator Row(IPage page, string name) => page.Locator("#corpus-list tbody tr", new() { Has = page.Locator(".corpus-name", new() { HasText = name }) });

    static string Write(StudioServer studio, string name, string text)
    {
        string path = Path.Combine(studio.DataFolder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_text_file_split_into_sentences_and_a_Word_document_are_imported_viewed_relabelled_and_deleted()
    {
        await using var studio = new StudioServer();
        string txt = Write(studio, "临江仙.txt", Poem);
        string docx = Path.Combine(studio.DataFolder, "memo.docx");
        CorpusFiles.Docx(docx, ["Dear team, the U.S. office opens at 9 a.m. tomorrow.", "Bring your badge."], table: [[new("Room 4"), new("Floor 2")]], tableAfter: 0);

        var page = await studio.OpenAsync("/");
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Corpora" }).ClickAsync();
        await PageUrl.ExpectAsync(page, "**/corpora");
        await Assertions.Expect(page.Locator("#no-corpora")).ToHaveTextAsync("No corpora yet: import a file above.");

        await UploadAsync(page, txt);
        // Styled and live: MudBlazor's sheet draws the outlined name field, and its select opens.
        Assert.NotEqual("0px", await page.Locator(".mud-input-outlined-border").First.EvaluateAsync<string>("e => getComputedStyle(e).borderTopWidth"));
        await Assertions.Expect(page.Locator("#corpus-name")).ToHaveValueAsync("临江仙");   // named after the file
        await page.Locator("#corpus-style").FillAsync("古风");
        await StudioServer.ChooseAsync(page, "Split into", "sentences");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Split into" })).ToHaveTextAsync("sentences");
        await page.Locator("#import-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-imported")).ToContainTextAsync("Imported 3 texts into 临江仙");
        await Assertions.Expect(Row(page, "临江仙").Locator(".corpus-texts")).ToHaveTextAsync("3");
        await Assertions.Expect(Row(page, "临江仙").Locator(".corpus-segmentation")).ToHaveTextAsync("sentences");
        await Assertions.Expect(Row(page, "临江仙").Locator(".corpus-style")).ToHaveTextAsync("古风");

        await UploadAsync(page, docx);
        await page.Locator("#corpus-name").FillAsync("memo");
        await page.Locator("#import-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-imported")).ToContainTextAsync("Imported 4 texts into memo");
        await Assertions.Expect(Row(page, "memo").Locator(".corpus-segmentation")).ToHaveTextAsync("paragraphs");

        await Row(page, "临江仙").Locator(".view-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-texts .corpus-text")).ToHaveTextAsync(["滚滚长江东逝水，浪花淘尽英雄。", "是非成败转头空。", "青山依旧在，几度夕阳红。"]);
        await page.Locator("#corpus-new-style").FillAsync("宋词");
        await page.Locator("#save-corpus-style").ClickAsync();
        await Assertions.Expect(Row(page, "临江仙").Locator(".corpus-style")).ToHaveTextAsync("宋词");
        Assert.Equal("宋词", Corpora(studio).Get("临江仙").Style);

        await Row(page, "memo").Locator(".view-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-texts .corpus-text"))
            .ToHaveTextAsync(["Dear team, the U.S. office opens at 9 a.m. tomorrow.", "Room 4", "Floor 2", "Bring your badge."]);

        await Row(page, "临江仙").Locator(".delete-corpus").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Delete the corpus '临江仙' and its 3 texts?");
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-list .corpus-name")).ToHaveTextAsync(["memo"]);
        Assert.Equal(["memo"], Corpora(studio).All().Select(c => c.Name));
    }

    [Fact]
    public async Task In_Chinese_the_page_is_translated_and_a_scanned_PDF_is_refused_by_name_storing_nothing()
    {
        await using var studio = new StudioServer();
        string scan = Path.Combine(studio.DataFolder, "scan.pdf");
        CorpusFiles.PdfWithoutText(scan, 2);
        string lines = Write(studio, "三国.txt", "第一章\n\n天下大势，分久必合，合久必分。\n周末七国分争，并入于秦。\n");

        var page = await studio.OpenAsync("corpora", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#no-corpora")).ToHaveTextAsync("还没有语料：请在上方导入文件。");
        await PageLanguage.AssertTranslatedAsync(page);

        await UploadAsync(page, scan);
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator("#import-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-error")).ToContainTextAsync("无法从此文件得到语料：");
        await Assertions.Expect(page.Locator("#corpus-error")).ToContainTextAsync("scan.pdf: none of its 2 page(s) has a text layer");
        await PageLanguage.AssertTranslatedAsync(page);
        Assert.Empty(Corpora(studio).All());

        await page.Locator("#cancel-corpus").ClickAsync();
        await UploadAsync(page, lines);
        await page.Locator("#corpus-style").FillAsync("古风");
        await StudioServer.ChooseAsync(page, "切分为", "行（文本文件的每个非空行）");
        await page.Locator("#import-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-imported")).ToContainTextAsync("已导入 3 条文本到 三国");
        await Assertions.Expect(Row(page, "三国").Locator(".corpus-segmentation")).ToHaveTextAsync("行");
        await Row(page, "三国").Locator(".view-corpus").ClickAsync();
        await Assertions.Expect(page.Locator("#corpus-texts .corpus-text")).ToHaveTextAsync(["第一章", "天下大势，分久必合，合久必分。", "周末七国分争，并入于秦。"]);
        await PageLanguage.AssertTranslatedAsync(page);

        await page.Locator("#corpus-new-style").FillAsync("演义");
        await page.Locator("#save-corpus-style").ClickAsync();
        await Assertions.Expect(Row(page, "三国").Locator(".corpus-style")).ToHaveTextAsync("演义");

        await Row(page, "三国").Locator(".delete-corpus").ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("删除语料“三国”及其 3 条文本？");
        await PageLanguage.AssertTranslatedAsync(page);
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "删除" }).ClickAsync();
        await Assertions.Expect(page.Locator("#no-corpora")).ToBeVisibleAsync();
        Assert.Empty(Corpora(studio).All());
    }
}
