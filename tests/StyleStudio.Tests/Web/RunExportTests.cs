using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Export;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Web.Training;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Exporting a finished run as GGUF from its run page, as a user does in Chinese: pick the type, export, download the file
/// and the Modelfile through the page's links; llama.cpp loads the downloaded file and continues a prompt greedily as the
/// run's adapter on its base does.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class RunExportTests : IDisposable
{
    readonly string scratch = Directory.CreateTempSubdirectory("run-export-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    [Fact]
    public async Task A_run_exported_from_its_page_runs_in_llama_cpp_as_in_the_studio()
    {
        string data = Directory.CreateDirectory(Path.Combine(scratch, "data")).FullName;
        var studio = new StudioServer(dataFolder: data);
        var store = studio.Services.GetRequiredService<DataStore>();
        var run = await FinishedRun.TrainAsync(studio);

        var page = await studio.OpenAsync($"runs/{run.Id}", PageLanguage.Chinese);
        await page.GetByLabel("GGUF 权重").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = "f16" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#run-export")).ToContainTextAsync("16 位，精确");
        await page.Locator("#run-export-start").ClickAsync();
        var state = page.Locator("#run-export-state[data-done='true']");
        await Assertions.Expect(state).ToContainTextAsync("已导出", new() { Timeout = 120_000 });
        Assert.Equal("true", await state.GetAttributeAsync("data-succeeded"));
        await PageLanguage.AssertTranslatedAsync(page);

        // The page's own links, as the browser downloads them.
        string gguf = Path.Combine(scratch, "run.gguf");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#run-export-gguf").ClickAsync());
        await download.SaveAsAsync(gguf);
        var modelfile = await page.RunAndWaitForDownloadAsync(() => page.Locator("#run-export-modelfile").ClickAsync());
        string modelfilePath = Path.Combine(scratch, "Modelfile");
        await modelfile.SaveAsAsync(modelfilePath);
        string modelfileText = File.ReadAllText(modelfilePath);
        Assert.Contains($"FROM ./qwen2-run{run.Id}-f16.gguf", modelfileText);
        Assert.Contains("<|im_start|>", modelfileText);

        // llama.cpp continues a prompt as the adapter on its base does in our engine.
        int[] prompt = [5, 17, 300, 42, 99, 7, 8];
        using var ours = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        PeftAdapter.Load(ours.Network, store.Runs.Get(run.Id).OutputDir);
        var expected = TokenGenerator.Generate(ours.Network, [prompt], new SamplingOptions { Temperature = 0, MaxNewTokens = 12 }, [],
            TestContext.Current.CancellationToken).Select(step => (int)step[0]).ToArray();
        using var llama = new LlamaCppModel(gguf);
        Assert.Equal(expected, llama.Greedy(prompt, expected.Length));

        // After a restart the run page still offers the finished export.
        await studio.DisposeAsync();
        await using var restarted = new StudioServer(dataFolder: data);
        var again = await restarted.OpenAsync($"runs/{run.Id}", PageLanguage.Chinese);
        await Assertions.Expect(again.Locator("#run-export-gguf")).ToBeVisibleAsync();
        await Assertions.Expect(again.Locator("#run-export-state")).ToContainTextAsync($"qwen2-run{run.Id}-f16.gguf");
    }
}
