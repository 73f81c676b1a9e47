using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Playwright;

namespace StyleStudio.Tests.Support;

/// <summary>
/// The studio served by Kestrel on a free loopback port, with a fresh data folder (or a given one, to restart on it) and
/// the fixture models as its models folder, plus a headless Chromium (Debian's, through Playwright's bundled driver) to
/// drive it like a user. Tests that host the studio share one collection: Hangfire keeps its storage in a static.
/// </summary>
sealed class StudioServer : IAsyncDisposable
{
    public const string Collection = "Studio";

    readonly WebApplicationFactory<Program> factory;
    readonly bool ownsFolder;
    IPlaywright? playwright;
    IBrowser? browser;

    public string DataFolder { get; }
    public Uri Address { get; }
    public IServiceProvider Services => factory.Services;

    /// <summary>
    /// The latest lines the studio logged, oldest first, for a failing browser test's message (CI keeps only the test's
    /// output): our own categories and Blazor's circuits (a lost or broken connection) from Debug, the rest from Warning.
    /// </summary>
    public string LogTail(int count = 120) =>
        string.Join('\n', Services.GetRequiredService<FakeLogCollector>().GetSnapshot().TakeLast(count).Select(r =>
            $"{r.Timestamp:HH:mm:ss.fff} {r.Level,-11} {r.Category}: {r.Message}" +
            (r.Exception is null ? "" : $"\n    {r.Exception.GetType().Name}: {r.Exception.Message}")));

    /// <param name="settings">More configuration, e.g. <c>Studio:HuggingFaceEndpoint</c>.</param>
    /// <param name="listen">The address to listen on; loopback when null. Another of this machine's addresses lets a test
    /// be a client the studio sees as remote.</param>
    public StudioServer(string? dataFolder = null, string? modelsFolder = null, IReadOnlyDictionary<string, string>? settings = null,
        IPAddress? listen = null)
    {
        ownsFolder = dataFolder is null;
        DataFolder = dataFolder ?? Directory.CreateTempSubdirectory("studio-web-").FullName;
        factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Studio:DataFolder", DataFolder)
               .UseSetting("Studio:ModelsFolder", modelsFolder ?? Path.Combine(Fixtures.Root, "models"));
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) web.UseSetting(key, value);
            web.ConfigureTestServices(services =>
            {
                ShutdownWatch.RegisterFirst(services);
                services.AddFakeLogging();
                services.Configure<LoggerFilterOptions>(filters =>
                {
                    filters.AddFilter<FakeLoggerProvider>(null, LogLevel.Warning);
                    filters.AddFilter<FakeLoggerProvider>("StyleStudio", LogLevel.Debug);
                    filters.AddFilter<FakeLoggerProvider>("Microsoft.AspNetCore.Components.Server.Circuits", LogLevel.Debug);
                });
            });
        });
        factory.UseKestrel(kestrel => kestrel.Listen(listen ?? IPAddress.Loopback, 0));
        factory.StartServer();
        Address = factory.ClientOptions.BaseAddress;
    }

    /// <summary>A fresh browser page (its own cookies), not yet pointed anywhere.</summary>
    /// <param name="locale">The browser's language (its Accept-Language), e.g. <c>zh-CN</c>; Chromium's en-US when null.</param>
    public async Task<IPage> NewPageAsync(string? locale = null)
    {
        if (browser is null) (playwright, browser) = await HeadlessChromium.LaunchAsync();
        // A context per page, so a test can open a second tab that shares its cookies (Browser.NewPageAsync's cannot).
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { Locale = locale });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        return page;
    }

    /// <summary>A new browser page at <paramref name="path"/>, once its Blazor circuit is live.</summary>
    public async Task<IPage> OpenAsync(string path, string? locale = null)
    {
        var page = await NewPageAsync(locale);
        await page.GotoAsync(new Uri(Address, path).ToString());
        await page.Locator("#studio-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>Picks <paramref name="option"/> in the MudSelect labelled <paramref name="label"/> (its list opens in a popover).</summary>
    public static async Task ChooseAsync(IPage page, string label, string option)
    {
        var openItems = page.Locator(".mud-popover-open .mud-list-item");
        await page.GetByLabel(label).ClickAsync();
        await openItems.Filter(new() { HasText = option }).First.ClickAsync();
        // Closed before anything else is picked: MudBlazor updates its popovers through a queue, so on a busy machine the
        // list stayed open a while after the choice, and the next select's items (the same models, in compare mode)
        // were found in it first — the picks went to a list no longer on the page.
        await Assertions.Expect(openItems).ToHaveCountAsync(0, new() { Timeout = 20_000 });
    }

    /// <summary>Closes an open multi-select's list with Escape, as a user does, and waits until it is gone. Press it only
    /// once the last pick has reached the studio (the page shows it): an Escape that came a few milliseconds after a click
    /// now and then left the list open. And fill other fields before opening such a list: MudSelect asks the browser,
    /// from the studio and without waiting, to focus the select again once closed, and text typed into another field
    /// before that call lands goes to the select (the side-by-side test's text to rewrite stayed empty, Generate
    /// disabled).</summary>
    public static async Task CloseListAsync(IPage page)
    {
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0, new() { Timeout = 20_000 });
    }

    public async ValueTask DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        // The factory's own DisposeAsync stops the host while Program's app.Run(), woken by that stop, stops and disposes
        // it on another thread (dotnet/aspnetcore#40271): a hosted service could be disposed in the middle of its stop —
        // Hangfire's server then threw ArgumentNullException from a wait handle cleared under it. Asking the application
        // to stop leaves both to Program's thread; the factory's stop that follows finds everything already stopped.
        var watch = Services.GetRequiredService<ShutdownWatch>();
        Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        await watch.Disposed.WaitAsync(TimeSpan.FromMinutes(1));
        await factory.DisposeAsync();
        if (ownsFolder) Directory.Delete(DataFolder, recursive: true);
    }
}

/// <summary>
/// Completes when the studio's services have been disposed. It is the first hosted service made, and a service provider
/// disposes what it made in reverse order, so by then every other hosted service has stopped and been disposed.
/// </summary>
sealed class ShutdownWatch : IHostedService, IDisposable
{
    readonly TaskCompletionSource disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Disposed => disposed.Task;

    public static void RegisterFirst(IServiceCollection services)
    {
        services.Insert(0, ServiceDescriptor.Singleton<ShutdownWatch, ShutdownWatch>());
        services.Insert(1, ServiceDescriptor.Singleton<IHostedService>(provider => provider.GetRequiredService<ShutdownWatch>()));
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public void Dispose() => disposed.TrySetResult();
}

[CollectionDefinition(StudioServer.Collection, DisableParallelization = true)]
public sealed class StudioCollection;
