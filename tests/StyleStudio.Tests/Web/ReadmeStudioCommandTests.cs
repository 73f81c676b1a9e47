using System.Diagnostics;
using Microsoft.Playwright;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The studio started the way a newcomer starts it — the README's command, typed in the checkout, in Production — and the
/// way Docker runs it (the published build), each looked at in Chromium: styled, live, and without a failed request.
/// </summary>
[Collection(ReadmeCommands.Collection)]
public class ReadmeStudioCommandTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_README_studio_command_serves_a_styled_live_studio_in_Production()
    {
        string root = Fixtures.RepositoryRoot();
        string command = ReadmeCommands.Line(root, "dotnet run --project src/StyleStudio.Web");
        await using var studio = await StudioProcess.StartAsync(command, root, TimeSpan.FromMinutes(5));
        AssertStartupReport(studio);
        await AssertStyledAndLiveAsync(studio.Address);
    }

    [Fact]
    public async Task The_published_studio_as_Docker_runs_it_serves_a_styled_live_studio()
    {
        string root = Fixtures.RepositoryRoot();
        string published = Directory.CreateTempSubdirectory("studio-published-").FullName;
        try
        {
            // Dockerfile: `dotnet publish src/StyleStudio.Web -c Release -o /app`, then `dotnet StyleStudio.Web.dll` in /app.
            Run(root, "dotnet", "publish", "src/StyleStudio.Web", "-c", "Release", "-o", published, "-v", "q");
            await using var studio = await StudioProcess.StartAsync("dotnet StyleStudio.Web.dll", published, TimeSpan.FromMinutes(2));
            AssertStartupReport(studio);
            await AssertStyledAndLiveAsync(studio.Address);
        }
        finally
        {
            Directory.Delete(published, recursive: true);
        }
    }

    static void AssertStartupReport(StudioProcess studio)
    {
        string output = studio.Output;
        Assert.Contains("Hosting environment: Production", output);
        Assert.Contains($"Data:    {studio.DataFolder}", output);
        Assert.Contains($"Models:  {Path.Combine(studio.DataFolder, "models")} (0 model(s))", output);
        Assert.Matches(@"Device:  (cpu|cuda) \(", output);
        Assert.DoesNotContain("warn:", output);
        Assert.DoesNotContain("fail:", output);
    }

    static async Task AssertStyledAndLiveAsync(Uri address)
    {
        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        var failures = new List<string>();
        page.Response += (_, response) => { if (response.Status >= 400) lock (failures) failures.Add($"{response.Status} {response.Url}"); };
        page.RequestFailed += (_, request) => { lock (failures) failures.Add($"failed {request.Url}: {request.Failure}"); };

        await page.GotoAsync(address.ToString());
        try
        {
            await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        }
        catch (TimeoutException)
        {
            lock (failures) Assert.Fail("the studio never became interactive; failed requests:\n" + string.Join('\n', failures));
        }

        // Styled: MudBlazor's stylesheet arrived whole and applies (the app bar is pinned to the top).
        int mudRules = await page.EvaluateAsync<int>(
            "() => [...document.styleSheets].filter(s => (s.href || '').includes('MudBlazor')).reduce((n, s) => n + s.cssRules.length, 0)");
        Assert.True(mudRules > 500, $"MudBlazor's stylesheet has {mudRules} rules in the page");
        Assert.Equal("fixed", await page.Locator(".mud-appbar").EvaluateAsync<string>("e => getComputedStyle(e).position"));

        // Live: a click navigates, a field takes text, a MudSelect opens and takes a choice (MudBlazor's script + circuit).
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Playground" }).ClickAsync();
        await PageUrl.ExpectAsync(page, "**/playground");
        await page.GetByLabel("Text to rewrite").FillAsync("今天天气很好。");
        await Assertions.Expect(page.GetByLabel("Text to rewrite")).ToHaveValueAsync("今天天气很好。");
        await StudioServer.ChooseAsync(page, "Template", "llama3");
        await Assertions.Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Template" })).ToHaveTextAsync("llama3");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        lock (failures) Assert.True(failures.Count == 0, "requests failed:\n" + string.Join('\n', failures));

        // An unknown address shows the not-found page inside the studio; the error page shows a request id.
        var missing = await page.GotoAsync(new Uri(address, "no-such-page").ToString());
        Assert.Equal(404, missing!.Status);
        await Assertions.Expect(page.Locator("#not-found-message")).ToContainTextAsync("no page at this address");
        await page.GotoAsync(new Uri(address, "error").ToString());
        await Assertions.Expect(page.Locator("#request-id")).Not.ToBeEmptyAsync();
    }

    static void Run(string folder, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Cancel);
        var stderr = process.StandardError.ReadToEndAsync(Cancel);
        if (!process.WaitForExit(TimeSpan.FromMinutes(6))) process.Kill(entireProcessTree: true);
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', arguments)} failed:\n{stdout.Result}\n{stderr.Result}");
    }
}
