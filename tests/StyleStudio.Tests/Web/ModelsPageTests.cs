using Microsoft.Playwright;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

[Collection(StudioServer.Collection)]
public sealed class ModelsPageTests : IAsyncLifetime
{
    readonly LocalHub hub = new();
    readonly string modelsFolder = Directory.CreateTempSubdirectory("studio-models-").FullName;

    public ValueTask InitializeAsync()
    {
        hub.Add("acme/tiny-qwen", new(Fixtures.Model("qwen2")));
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task A_download_from_the_hub_shows_its_progress_then_the_model_which_can_be_deleted()
    {
        hub.BytesPerSecond = 150_000;   // the 400 KB weights take a few seconds: long enough to watch
        await using var studio = new StudioServer(modelsFolder: modelsFolder,
            settings: new Dictionary<string, string> { ["Studio:HuggingFaceEndpoint"] = hub.Endpoint.ToString() });
        var page = await studio.OpenAsync("/models");
        await Assertions.Expect(page.Locator("#model-list")).ToContainTextAsync("No models");

        await page.GetByLabel("Repository id").FillAsync("acme/tiny-qwen");
        await page.Locator("#download-button").ClickAsync();

        var download = page.Locator("#download-tiny-qwen");
        await Assertions.Expect(download.Locator(".download-progress")).ToBeVisibleAsync();
        await Assertions.Expect(download.Locator(".download-progress-text")).ToContainTextAsync("/s");
        await Assertions.Expect(download.Locator(".download-progress-text")).ToContainTextAsync("model.safetensors");
        await Assertions.Expect(download).ToHaveAttributeAsync("data-status", "completed", new() { Timeout = 30_000 });
        var row = page.Locator("#model-list tr").Filter(new() { HasText = "tiny-qwen" });
        await Assertions.Expect(row).ToContainTextAsync("Qwen2ForCausalLM");
        await Assertions.Expect(row.Locator(".model-loads")).ToBeVisibleAsync();
        Assert.True(File.ReadAllBytes(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")).AsSpan()
            .SequenceEqual(File.ReadAllBytes(Path.Combine(modelsFolder, "tiny-qwen", "model.safetensors"))));

        await row.Locator(".model-remove").ClickAsync();
        await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Assertions.Expect(page.Locator("#model-list")).ToContainTextAsync("No models", new() { Timeout = 10_000 });
        Assert.False(Directory.Exists(Path.Combine(modelsFolder, "tiny-qwen")));
    }

    [Fact]
    public async Task A_download_cut_short_by_a_restart_continues_with_a_range_request_when_the_studio_starts_again()
    {
        hub.BytesPerSecond = 40_000;
        string data = Directory.CreateTempSubdirectory("studio-restart-").FullName;
        var settings = new Dictionary<string, string> { ["Studio:HuggingFaceEndpoint"] = hub.Endpoint.ToString() };
        try
        {
            await using (var first = new StudioServer(data, modelsFolder, settings))
            {
                var page = await first.OpenAsync("/models");
                await page.GetByLabel("Repository id").FillAsync("acme/tiny-qwen");
                await page.Locator("#download-button").ClickAsync();
                await Assertions.Expect(page.Locator("#download-tiny-qwen .download-progress-text")).ToContainTextAsync("model.safetensors");
                for (int i = 0; i < 200 && hub.Served("acme/tiny-qwen", "model.safetensors") < 60_000; i++) await Task.Delay(50, TestContext.Current.CancellationToken);
            }   // the studio stops mid-file
            Assert.False(Directory.Exists(Path.Combine(modelsFolder, "tiny-qwen")), "a half-downloaded model must not appear");
            Assert.True(File.Exists(Path.Combine(modelsFolder, ".downloads", "tiny-qwen", "model.safetensors.incomplete")));

            hub.BytesPerSecond = null;
            await using var second = new StudioServer(data, modelsFolder, settings);
            var again = await second.OpenAsync("/models");
            var row = again.Locator("#model-list tr").Filter(new() { HasText = "tiny-qwen" });
            await Assertions.Expect(row).ToContainTextAsync("Qwen2ForCausalLM", new() { Timeout = 30_000 });
            var resumed = hub.Requests.Last(r => r.Path.EndsWith("/model.safetensors") && r.Host == "localhost");
            Assert.StartsWith("bytes=", resumed.Range);
            Assert.True(long.Parse(resumed.Range!["bytes=".Length..^1]) > 0);
            Assert.True(File.ReadAllBytes(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(modelsFolder, "tiny-qwen", "model.safetensors"))));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Cancel_stops_a_download_and_removes_what_it_fetched()
    {
        hub.BytesPerSecond = 40_000;
        await using var studio = new StudioServer(modelsFolder: modelsFolder,
            settings: new Dictionary<string, string> { ["Studio:HuggingFaceEndpoint"] = hub.Endpoint.ToString() });
        var page = await studio.OpenAsync("/models");
        await page.GetByLabel("Repository id").FillAsync("acme/tiny-qwen");
        await page.Locator("#download-button").ClickAsync();
        var download = page.Locator("#download-tiny-qwen");
        await Assertions.Expect(download.Locator(".download-progress-text")).ToContainTextAsync("model.safetensors");

        await download.Locator(".download-cancel").ClickAsync();

        await Assertions.Expect(download).ToHaveAttributeAsync("data-status", "cancelled", new() { Timeout = 15_000 });
        Assert.Empty(Directory.EnumerateFileSystemEntries(modelsFolder));
    }

    [Fact]
    public async Task A_folder_added_by_path_is_listed_where_it_is_and_forgetting_it_keeps_it()
    {
        string elsewhere = Directory.CreateTempSubdirectory("studio-elsewhere-").FullName;
        try
        {
            string folder = Directory.CreateDirectory(Path.Combine(elsewhere, "my-llama")).FullName;
            foreach (var file in Directory.EnumerateFiles(Fixtures.Model("llama3"))) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            await using var studio = new StudioServer(modelsFolder: modelsFolder);
            var page = await studio.OpenAsync("/models");

            await page.GetByLabel("Folder path").FillAsync(folder);
            await page.Locator("#add-button").ClickAsync();

            var row = page.Locator("#model-list tr").Filter(new() { HasText = "my-llama" });
            await Assertions.Expect(row).ToContainTextAsync("LlamaForCausalLM");
            await Assertions.Expect(row).ToContainTextAsync(folder);
            await Assertions.Expect(row).ToContainTextAsync("llama3");
            await row.Locator(".model-remove").ClickAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Forget" }).ClickAsync();
            await Assertions.Expect(page.Locator("#model-list")).ToContainTextAsync("No models");
            Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await hub.DisposeAsync();
        Directory.Delete(modelsFolder, recursive: true);
    }
}
