using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using StyleStudio.Tests.Support;
using StyleStudio.Web.Login;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The studio locked by default: without a password its pages answer this machine only (the decision checked per
/// address); with one, every page and the job dashboard need a sign-in, made in a real browser with a hash that
/// <c>stylestudio password-hash</c> printed.
/// </summary>
[Collection(StudioServer.Collection)]
public class StudioLoginTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static string HashFromCli(string password)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "stylestudio.dll"));
        start.ArgumentList.Add("password-hash");
        using var process = Process.Start(start)!;
        process.StandardInput.WriteLine(password);
        process.StandardInput.Close();
        string output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output;
    }

    [Fact]
    public async Task With_a_password_every_page_and_the_dashboard_need_a_sign_in_in_the_browser()
    {
        string hash = HashFromCli("correct horse battery");
        Assert.NotEqual(PasswordVerificationResult.Failed, new PasswordHasher<string>().VerifyHashedPassword("", hash, "correct horse battery"));
        await using var studio = new StudioServer(settings: new Dictionary<string, string> { ["Studio:Login:PasswordHash"] = hash, ["Studio:Login:User"] = "lin" });

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = studio.Address };
        var home = await http.GetAsync("/datasets", Cancel);
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/login", home.Headers.Location!.PathAndQuery);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/hangfire", Cancel)).StatusCode);

        var page = await studio.NewPageAsync();
        await page.GotoAsync(new Uri(studio.Address, "/datasets").ToString());
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath);
        await page.GetByLabel("User").FillAsync("lin");
        await page.GetByLabel("Password").FillAsync("wrong password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#login-error")).ToContainTextAsync("Wrong user name or password");

        await page.GetByLabel("User").FillAsync("lin");
        await page.GetByLabel("Password").FillAsync("correct horse battery");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await PageUrl.ExpectAsync(page, new Uri(studio.Address, "/datasets").ToString());
        // Signed in, the page comes up live and styled, and the job dashboard opens with the same cookie.
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var dashboard = await page.GotoAsync(new Uri(studio.Address, "/hangfire").ToString());
        Assert.Equal(200, dashboard!.Status);

        // A crafted return address stays on this site.
        var other = await studio.NewPageAsync();
        await other.GotoAsync(new Uri(studio.Address, "/login?returnUrl=//evil.example/").ToString());
        await other.GetByLabel("User").FillAsync("lin");
        await other.GetByLabel("Password").FillAsync("correct horse battery");
        await other.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await other.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        Assert.Equal(studio.Address.Authority, new Uri(other.Url).Authority);
    }

    [Fact]
    public void Without_a_password_pages_answer_this_machine_only_unless_allowed()
    {
        StudioLogin Login(LoginOptions options) => new(Options.Create(options));
        var local = Login(new LoginOptions());
        Assert.True(local.AdmitsWithoutLogin(IPAddress.Loopback));
        Assert.True(local.AdmitsWithoutLogin(IPAddress.IPv6Loopback));
        Assert.True(local.AdmitsWithoutLogin(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.True(local.AdmitsWithoutLogin(null));
        Assert.False(local.AdmitsWithoutLogin(IPAddress.Parse("192.168.1.20")));
        Assert.False(local.AdmitsWithoutLogin(IPAddress.Parse("::ffff:10.0.0.5")));
        Assert.Contains("this machine only", local.Summary);
        Assert.True(Login(new LoginOptions { AllowRemoteWithoutLogin = true }).AdmitsWithoutLogin(IPAddress.Parse("192.168.1.20")));

        var protectedStudio = Login(new LoginOptions { PasswordHash = StudioLogin.Hash("a long password") });
        Assert.False(protectedStudio.AdmitsWithoutLogin(IPAddress.Loopback));   // with a password, everyone signs in
        Assert.True(protectedStudio.Verify("admin", "a long password"));
        Assert.False(protectedStudio.Verify("admin", "a long passwore"));
        Assert.False(protectedStudio.Verify("root", "a long password"));

        var notAHash = Assert.Throws<InvalidOperationException>(() => Login(new LoginOptions { PasswordHash = "hunter2" }));
        Assert.Contains("stylestudio password-hash", notAHash.Message);
    }

    [Fact]
    public async Task Without_a_password_a_local_browser_uses_the_studio_as_before()
    {
        await using var studio = new StudioServer();
        Assert.Contains("this machine only", studio.Services.GetRequiredService<StudioLogin>().Summary);
        var page = await studio.OpenAsync("/datasets");
        await Assertions.Expect(page.Locator("h4").First).ToBeVisibleAsync();
    }
}
