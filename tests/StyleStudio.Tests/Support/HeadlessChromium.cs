using Microsoft.Playwright;

namespace StyleStudio.Tests.Support;

/// <summary>Debian's Chromium driven through Playwright's bundled driver (no browser download), as every browser test uses it.</summary>
static class HeadlessChromium
{
    const string Executable = "/usr/bin/chromium";

    /// <summary>A headless Chromium; skips the test where Debian's chromium package is not installed.</summary>
    /// <param name="environment">The browser's whole environment when given (e.g. a FONTCONFIG_FILE without CJK fonts).</param>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync(IEnumerable<KeyValuePair<string, string>>? environment = null)
    {
        if (!File.Exists(Executable)) Assert.Skip($"{Executable} is not installed (apt-get install chromium)");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            // Without the networking switches Chromium keeps trying to reach the internet, which these machines lack.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
            Env = environment,
        });
        return (playwright, browser);
    }
}
