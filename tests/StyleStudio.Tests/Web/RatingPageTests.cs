using System.Globalization;
using System.Text;
using CsvHelper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Rating;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Agreement;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Blind rating in a real browser: a study from two predictions files, two raters rating every item with the keyboard
/// (one leaves halfway and comes back), results that equal what the library computes for those judgements, and the CSV
/// export; and a study whose system is the tiny fixture model, served by the engine.
/// </summary>
[Collection(StudioServer.Collection)]
public class RatingPageTests
{
    static readonly string[] Sources = ["今天天气很好。", "我很想念你。", "请把报告发给我。", "会议取消了。", "谢谢你的耐心。", "我们为延误道歉。"];
    static readonly string[] Formal = ["今日天朗气清。", "思君甚切。", "烦请惠赐报告。", "会议已取消。", "承蒙耐心等候。", "延误之处，敬请见谅。"];
    static readonly string[] Casual = ["今天天儿真好！", "好想你啊～", "报告发我一下呗", "会黄了", "谢啦，辛苦等了", "不好意思晚了哈"];

    /// <summary>What each rater means to say, by system: 1, 2, tie (t) or both bad (b).</summary>
    static readonly Dictionary<string, string[]> Plan = new()
    {
        ["ann"] = ["1", "1", "2", "t", "1", "b"],
        ["bob"] = ["1", "2", "2", "t", "1", "1"],
    };

    static StudyPreference Preference(string p) => p switch
    {
        "1" => StudyPreference.System1, "2" => StudyPreference.System2, "t" => StudyPreference.Tie, _ => StudyPreference.BothBad,
    };

    static string Write(StudioServer studio, string name, IEnumerable<string> lines)
    {
        string path = Path.Combine(studio.DataFolder, name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    static async Task UploadAsync(IPage page, int system, string path)
    {
        var chooser = await page.RunAndWaitForFileChooserAsync(() =>
            page.GetByRole(AriaRole.Button, new() { Name = $"Predictions file for system {system}" }).ClickAsync());
        await chooser.SetFilesAsync(path);
    }

    /// <summary>Rates items from where the page stands, pressing the key that says what the plan says about the systems.</summary>
    static async Task RateAsync(IPage page, string rater, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            await Assertions.Expect(page.Locator("#rating-progress")).ToHaveTextAsync($"Item {i + 1} of 6 · {i} rated");
            await Assertions.Expect(page.Locator("#item-source")).ToHaveTextAsync($"改写为古风\n{Sources[i]}");   // the query: instruction, then input
            string a = await page.Locator("#output-a .output-text").InnerTextAsync();
            string b = await page.Locator("#output-b .output-text").InnerTextAsync();
            Assert.Equal(new[] { Formal[i], Casual[i] }.Order(), new[] { a, b }.Order());   // both outputs, no names
            bool formalIsA = a == Formal[i];
            string key = Plan[rater][i] switch
            {
                "1" => formalIsA ? "1" : "2",
                "2" => formalIsA ? "2" : "1",
                "t" => "3",
                _ => "4",
            };
            if (rater == "ann" && i == 0)
            {
                // Four stars for style on whichever side the formal output is; the score travels with it.
                await page.Locator($".score-{(formalIsA ? "a" : "b")}-style .mud-rating-item").Nth(3).ClickAsync();
            }
            await page.Keyboard.PressAsync(key);
        }
    }

    static async Task StartAsync(StudioServer studio, IPage page, int study, string rater)
    {
        await page.GotoAsync(new Uri(studio.Address, $"/rate/{study}").ToString());
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.GetByLabel("Your name").FillAsync(rater);
        await page.GetByLabel("Your name").PressAsync("Enter");
        await page.Locator("#rating-area").WaitForAsync();
    }

    [Fact]
    public async Task Two_raters_rate_blind_by_keyboard_resume_and_the_results_and_export_match_the_library()
    {
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("pairs.validation",
            Sources.Select((s, i) => new DatasetRow { Instruction = "改写为古风", Input = s, Output = Formal[i] }), "test");
        string formal = Write(studio, "formal.txt", Formal), casual = Write(studio, "casual.txt", Casual);
        string short_ = Write(studio, "short.txt", Casual.Take(5));

        var page = await studio.OpenAsync("/");
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Rating" }).ClickAsync();
        await PageUrl.ExpectAsync(page, "**/rate");
        // Styled and live: MudBlazor's sheet applies to the form's outlined paper.
        Assert.NotEqual("0px", await page.Locator("#new-study").EvaluateAsync<string>("e => getComputedStyle(e).borderTopWidth"));

        await page.GetByLabel("Study name").FillAsync("古风 vs 口语");
        await page.GetByLabel("Rows (first N)").FillAsync("6");
        await page.GetByLabel("Rows (first N)").PressAsync("Tab");
        await StudioServer.ChooseAsync(page, "System 1 source", "Predictions file");
        await UploadAsync(page, 1, formal);
        await Assertions.Expect(page.Locator("#system-1-file")).ToHaveTextAsync("formal.txt: 6 lines");
        await StudioServer.ChooseAsync(page, "System 2 source", "Predictions file");
        await UploadAsync(page, 2, short_);
        await Assertions.Expect(page.Locator("#system-2-file")).ToHaveTextAsync("short.txt: 5 lines");
        await page.Locator("#create-study").ClickAsync();
        await Assertions.Expect(page.Locator("#study-error")).ToContainTextAsync(
            "system 2: short.txt has 5 lines, but the study has 6 rows — it needs one line per row, in the dataset's order");
        await UploadAsync(page, 2, casual);
        await Assertions.Expect(page.Locator("#system-2-file")).ToHaveTextAsync("casual.txt: 6 lines");
        await page.Locator("#create-study").ClickAsync();
        var row = page.Locator("#studies tbody tr").Filter(new() { HasText = "古风 vs 口语" });
        await Assertions.Expect(row).ToContainTextAsync("pairs.validation");
        await Assertions.Expect(page.Locator("#studies")).Not.ToContainTextAsync("formal.txt");   // blind: no system names
        int study = studio.Services.GetRequiredService<DataStore>().Ratings.All().Single().Id;
        // The raters see both orders (else this test would not tell positions from systems).
        var orders = Plan.Keys.SelectMany(rater => Enumerable.Range(0, 6).Select(i => BlindOrder.Swapped(study, rater, i))).ToList();
        Assert.Contains(true, orders);
        Assert.Contains(false, orders);

        // ann rates everything in one go; bob rates half, leaves, and comes back to where he stopped.
        await StartAsync(studio, page, study, "ann");
        await Assertions.Expect(page.Locator("#rating-area")).Not.ToContainTextAsync("formal.txt");
        await Assertions.Expect(page.Locator("#choice-1")).ToContainTextAsync("1 A better");
        await Assertions.Expect(page.Locator("#choice-4")).ToContainTextAsync("4 Both bad");
        await RateAsync(page, "ann", 0, 6);
        await Assertions.Expect(page.Locator("#rating-done")).ToContainTextAsync("You have rated all 6 items");

        await StartAsync(studio, page, study, "bob");
        await RateAsync(page, "bob", 0, 3);
        await Assertions.Expect(page.Locator("#rating-progress")).ToHaveTextAsync("Item 4 of 6 · 3 rated");
        string shownBefore = await page.Locator("#output-a .output-text").InnerTextAsync();
        await page.GotoAsync(new Uri(studio.Address, "/rate").ToString());
        await StartAsync(studio, page, study, "bob");
        // Back where he stopped, in the order he saw then.
        await Assertions.Expect(page.Locator("#rating-progress")).ToHaveTextAsync("Item 4 of 6 · 3 rated");
        await Assertions.Expect(page.Locator("#output-a .output-text")).ToHaveTextAsync(shownBefore);
        await RateAsync(page, "bob", 3, 6);
        await Assertions.Expect(page.Locator("#rating-done")).ToBeVisibleAsync();

        // What the results must say, computed by the library from the plan (by system, independent of screen order).
        var ratings = Plan.SelectMany(p => p.Value.Select((v, i) => new StudyRating(study, i, p.Key, Preference(v), false,
            AxisScores.None, AxisScores.None, DateTime.UtcNow))).ToList();
        var expectedWin = StudyAnalysis.Bootstrap(ratings.GroupBy(r => r.Item).Select(g => (IReadOnlyList<StudyRating>)g.ToList()).ToList());
        var expectedAlpha = KrippendorffAlpha.Nominal(Enumerable.Range(0, 6).Select(i => Plan.Values.Select(p => p[i])));
        Assert.True(expectedAlpha.IsDefined);
        static string Percent(double x) => (100 * x).ToString("F1", CultureInfo.InvariantCulture) + " %";

        await page.GotoAsync(new Uri(studio.Address, $"/rate/{study}/results").ToString());
        await Assertions.Expect(page.Locator("#results-summary")).ToContainTextAsync("2 raters · 6 items (6 rated) · 12 ratings");
        await Assertions.Expect(page.Locator("#few-raters")).ToContainTextAsync("2 raters so far");
        await Assertions.Expect(page.Locator("#system-1-name")).ToHaveTextAsync("formal.txt");
        await Assertions.Expect(page.Locator("#win-rate-value")).ToHaveTextAsync(Percent((6 + 0.5 * 3) / 12));
        Assert.Equal((6 + 0.5 * 3) / 12, expectedWin.Rate, 1e-12);
        await Assertions.Expect(page.Locator("#win-rate-interval")).ToHaveTextAsync($"{Percent(expectedWin.Low)} – {Percent(expectedWin.High)}");
        await Assertions.Expect(page.Locator("#preference-alpha")).ToContainTextAsync(
            $"Krippendorff's α, nominal, by system): {expectedAlpha.Alpha.ToString("F3", CultureInfo.InvariantCulture)}");
        // ann's four stars went to the formal output (system 1), wherever it was shown.
        await Assertions.Expect(page.Locator("#axis-table tbody tr").First).ToContainTextAsync("4.00 (n = 1)");
        // One score from one rater: nothing to agree on, and the page says so rather than printing a number.
        var styleAlpha = page.Locator("#axis-table tbody tr").First.Locator("td").Nth(3);
        await Assertions.Expect(styleAlpha).ToHaveTextAsync("undefined");
        await Assertions.Expect(styleAlpha).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("no unit has values from two or more raters"));

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        Assert.Equal($"rating-study-{study}.csv", download.SuggestedFilename);
        string exportFile = Path.Combine(studio.DataFolder, download.SuggestedFilename);
        await download.SaveAsAsync(exportFile);
        using var csv = CsvReader.FromFile(exportFile, new CsvReaderOptions());
        var exported = new List<(string Rater, int Item, string Preferred, string Preference)>();
        while (csv.Read())
            exported.Add((csv.GetString("rater"), int.Parse(csv.GetString("item"), CultureInfo.InvariantCulture), csv.GetString("preferred_system"), csv.GetString("preference")));
        Assert.Equal(12, exported.Count);
        foreach (var (rater, item, preferred, preference) in exported)
        {
            string planned = Plan[rater][item];
            Assert.Equal(planned switch { "1" => "formal.txt", "2" => "casual.txt", _ => "" }, preferred);
            Assert.Equal(StudyExport.Label(Preference(planned)), preference);
        }

        // The export feeds `stylestudio agreement`, which finds the α the page showed.
        var cli = CliRunner.Run("agreement", "--ratings", exportFile, "--level", "nominal", "--unit-column", "item", "--value-column", "preference", "--json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Equal(expectedAlpha.Alpha, System.Text.Json.JsonDocument.Parse(cli.Stdout).RootElement.GetProperty("alpha").GetDouble(), 1e-12);
    }

    [Fact]
    public async Task A_study_whose_system_is_the_tiny_model_shows_its_greedy_rewrites()
    {
        string[] inputs = ["The meeting has been cancelled.", "Please send the report today."];
        var own = GreedyRewrites.Of(inputs, maxNewTokens: 8);
        await using var studio = new StudioServer();
        studio.Services.GetRequiredService<DataStore>().Create("held-out",
            inputs.Select(i => new DatasetRow { Instruction = i, Output = i }), "test");
        string casual = Write(studio, "casual.txt", ["meeting's off", "send it today pls"]);

        var page = await studio.OpenAsync("/rate");
        await page.GetByLabel("Study name").FillAsync("model vs file");
        await page.GetByLabel("Max new tokens").FillAsync("8");
        await page.GetByLabel("Max new tokens").PressAsync("Tab");
        await StudioServer.ChooseAsync(page, "System 1 model", "qwen2");
        await StudioServer.ChooseAsync(page, "System 2 source", "Predictions file");
        await UploadAsync(page, 2, casual);
        await Assertions.Expect(page.Locator("#system-2-file")).ToHaveTextAsync("casual.txt: 2 lines");
        await page.Locator("#create-study").ClickAsync();
        await Assertions.Expect(page.Locator("#studies")).ToContainTextAsync("model vs file", new() { Timeout = 60_000 });

        var stored = studio.Services.GetRequiredService<DataStore>().Ratings.All().Single();
        Assert.Equal(("qwen2", "casual.txt"), (stored.System1, stored.System2));
        Assert.Equal(own, stored.Items.Select(i => i.Output1));
        await StartAsync(studio, page, stored.Id, "王芳");
        string shown = await page.Locator("#output-a .output-text").InnerTextAsync() + "\n" + await page.Locator("#output-b .output-text").InnerTextAsync();
        Assert.Contains("meeting's off", shown);
    }
}
