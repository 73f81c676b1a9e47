using StyleStudio.Training.Runtime;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Trainer;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The new-run form: basics in view and the rest under Advanced, presets that fill it, LoRA targets from the fixture
/// model's weights reaching the run's settings, the memory estimate live before Start, and the form in Chinese.
/// </summary>
[Collection(StudioServer.Collection)]
public class TrainingFormTests
{
    static readonly DatasetRow[] Pairs =
    [
        new() { Instruction = "formal: Good morning, I hope this letter finds you well.", Output = "morning! hope you're good" },
        new() { Instruction = "formal: Thank you kindly for your generous help yesterday.", Output = "thx a lot for yesterday!" },
        new() { Instruction = "formal: I must respectfully decline the invitation.", Output = "nah, can't make it" },
    ];

    static DataStore Store(StudioServer studio) => studio.Services.GetRequiredService<DataStore>();

    static Task OpenAdvancedAsync(IPage page) => page.Locator("#advanced-settings .mud-expand-panel-header").ClickAsync();

    /// <summary>Types into a numeric field and leaves it, which commits the value.</summary>
    static async Task SetAsync(IPage page, string label, string value)
    {
        await page.GetByLabel(label, new() { Exact = true }).FillAsync(value);
        await page.GetByLabel(label, new() { Exact = true }).PressAsync("Tab");
    }

    [Fact]
    public async Task Basics_are_in_view_the_rest_under_Advanced_and_a_preset_fills_both()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var page = await studio.OpenAsync("/training");

        foreach (var basic in new[] { "Run name", "Dataset (current version)", "Base model", "Method", "LoRA rank", "Learning rate", "Epochs" })
            await Assertions.Expect(page.Locator("#basic-settings").GetByLabel(basic, new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Batch size")).Not.ToBeVisibleAsync();

        await page.Locator("#preset-quality").ClickAsync();
        await Assertions.Expect(page.GetByLabel("LoRA rank")).ToHaveValueAsync("32");
        await Assertions.Expect(page.GetByLabel("Epochs")).ToHaveValueAsync("5");
        await OpenAdvancedAsync(page);
        await Assertions.Expect(page.GetByLabel("Batch size")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Validation share or count")).ToHaveValueAsync("0.1");

        await page.Locator("#preset-llama-factory").ClickAsync();
        await Assertions.Expect(page.GetByLabel("Learning rate")).ToHaveValueAsync("0.00005");
        await Assertions.Expect(page.GetByLabel("LoRA rank")).ToHaveValueAsync("8");
        await Assertions.Expect(page.GetByLabel("Gradient accumulation")).ToHaveValueAsync("8");
        await Assertions.Expect(page.GetByLabel("Cutoff length (tokens)")).ToHaveValueAsync("512");   // 2048 clamped to the fixture's 512 positions
        await Assertions.Expect(page.GetByLabel("Validation share or count")).ToHaveValueAsync("0");

        // The user can still edit after a preset.
        await SetAsync(page, "Epochs", "2");
        await Assertions.Expect(page.GetByLabel("Epochs")).ToHaveValueAsync("2");
    }

    [Fact]
    public async Task Target_and_memory_checkboxes_reach_the_run_which_trains_the_chosen_projections()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var page = await studio.OpenAsync("/training");
        await StudioServer.ChooseAsync(page, "Base model", "qwen2");
        await OpenAdvancedAsync(page);

        // Qwen2's seven projections, as its weights have them (GLM would show one fused gate_up_proj instead of two).
        var projections = LoraTargets.Of(Fixtures.Model("qwen2")).Select(t => t.Name).ToList();
        var boxes = page.Locator("#lora-targets").GetByRole(AriaRole.Checkbox);
        await Assertions.Expect(boxes).ToHaveCountAsync(1 + projections.Count);
        var names = await Task.WhenAll((await boxes.AllAsync()).Select(AccessibleNameAsync));
        Assert.Equal(new[] { "All linear layers" }.Concat(projections), names);
        foreach (var box in await boxes.AllAsync()) await Assertions.Expect(box).ToBeCheckedAsync();

        await page.GetByRole(AriaRole.Checkbox, new() { Name = "All linear layers" }).ClickAsync();
        await Assertions.Expect(page.Locator("#lora-targets-empty")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "q_proj", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "v_proj", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "All linear layers" })).Not.ToBeCheckedAsync();

        // The long-sequence mode needs checkpointing: turning that off unticks and disables it.
        var longSequences = page.GetByRole(AriaRole.Checkbox, new() { Name = "Long sequences" });
        var checkpointing = page.GetByRole(AriaRole.Checkbox, new() { Name = "Gradient checkpointing" });
        await longSequences.ClickAsync();
        await Assertions.Expect(longSequences).ToBeCheckedAsync();
        await checkpointing.ClickAsync();
        await Assertions.Expect(longSequences).Not.ToBeCheckedAsync();
        await Assertions.Expect(longSequences).ToBeDisabledAsync();
        await checkpointing.ClickAsync();
        await longSequences.ClickAsync();
        await Assertions.Expect(longSequences).ToBeCheckedAsync();

        await SetAsync(page, "Max steps (optional)", "3");
        await SetAsync(page, "Batch size", "3");
        await StudioServer.ChooseAsync(page, "Device", "CPU");
        await StudioServer.ChooseAsync(page, "Precision", "fp32");
        await page.Locator("#start-training").ClickAsync();
        try
        {
            await PageUrl.ExpectAsync(page, "**/runs/1");
        }
        catch (PlaywrightException)
        {
            var errors = await page.Locator("#start-error").AllTextContentsAsync();
            Assert.Fail("the run page did not open; the form says: " + (errors.Count > 0 ? string.Join(" / ", errors) : "no error") +
                        $"; the page is at {page.Url}; the studio logged:\n" + studio.LogTail());
        }

        var run = Store(studio).Runs.Get(1);
        Assert.Contains($"Run 1 ({run.Name}) queued as job {run.JobId} in", studio.LogTail());   // the log a slow Start would be read from
        Assert.Equal(["q_proj", "v_proj"], run.Settings.LoraTarget);
        Assert.True(run.Settings.GradientCheckpointing && run.Settings.OffloadCheckpoints);
        Assert.NotNull(run.Estimate);
        Assert.Equal(MemoryMeasure.ProcessMemory, run.Estimate.Measure);
        Assert.True(run.Estimate.MemoryBytes > run.Estimate.OverheadBytes && run.Estimate.Seconds > 0);

        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Completed", new() { Timeout = 120_000 });
        var adapter = JsonNode.Parse(File.ReadAllText(Path.Combine(run.OutputDir, PeftAdapter.ConfigFile)))!;
        Assert.Equal(["q_proj", "v_proj"], adapter["target_modules"]!.AsArray().Select(t => (string)t!).Order());
    }

    [Fact]
    public async Task GPUs_typed_for_data_parallel_training_are_checked_before_a_run_starts()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var page = await studio.OpenAsync("/training");
        await OpenAdvancedAsync(page);
        var gpus = page.GetByLabel("GPUs (data parallel)", new() { Exact = true });
        await Assertions.Expect(gpus).ToHaveAttributeAsync("placeholder", "cuda:0,cuda:1");

        await SetAsync(page, "GPUs (data parallel)", "cuda:0,gpu1");
        await page.Locator("#start-training").ClickAsync();
        await Assertions.Expect(page.Locator("#start-error")).ToContainTextAsync("devices: 'gpu1' is not a GPU; write them as cuda:0,cuda:1");
        await SetAsync(page, "GPUs (data parallel)", "cuda:1, cuda:1");
        await page.Locator("#start-training").ClickAsync();
        await Assertions.Expect(page.Locator("#start-error")).ToContainTextAsync("devices names a GPU twice (cuda:1,cuda:1)");
        Assert.Empty(Store(studio).Runs.All());

        // Each GPU holds a copy: the memory estimate is each one's.
        await SetAsync(page, "GPUs (data parallel)", "cuda:0,cuda:1");
        await Assertions.Expect(page.Locator("#memory-estimate")).ToContainTextAsync("Estimated peak memory on each of 2 GPUs");
        await Assertions.Expect(page.Locator("#memory-measure")).ToContainTextAsync("GPU memory in use");

        // The CPU has no GPUs to list: choosing it disables the field.
        await StudioServer.ChooseAsync(page, "Device", "CPU");
        await Assertions.Expect(gpus).ToBeDisabledAsync();
    }

    static Task<string> AccessibleNameAsync(ILocator checkbox) =>
        checkbox.EvaluateAsync<string>("e => (e.labels?.[0] ?? e.closest('label'))?.textContent.trim() ?? ''");

    [Fact]
    public async Task The_memory_estimate_shows_before_Start_and_follows_batch_and_cutoff()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var page = await studio.OpenAsync("/training");

        var estimate = page.Locator("#memory-estimate");
        await Assertions.Expect(estimate).ToContainTextAsync("Estimated peak memory");
        await Assertions.Expect(page.Locator("#memory-measure")).ToContainTextAsync("CPU");
        await Assertions.Expect(page.Locator("#time-estimate")).ToContainTextAsync("rough throughput");
        var activations = page.Locator("#memory-activations");
        string before = await activations.InnerTextAsync();

        await OpenAdvancedAsync(page);
        await SetAsync(page, "Batch size", "8");
        await Assertions.Expect(activations).Not.ToHaveTextAsync(before);
        string largerBatch = await activations.InnerTextAsync();

        await SetAsync(page, "Cutoff length (tokens)", "16");   // shorter than every example: rows are cut to 16 tokens
        await Assertions.Expect(activations).Not.ToHaveTextAsync(largerBatch);
        Assert.NotEqual(before, await activations.InnerTextAsync());
        await Assertions.Expect(page.Locator("#memory-logits")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#memory-weights")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#memory-trainable")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_time_estimate_uses_the_throughput_an_earlier_run_of_the_model_measured()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var estimates = studio.Services.GetRequiredService<StyleStudio.Application.Runs.TrainingEstimates>();
        var settings = new RunRequest { Device = DevicePreference.Cpu, NumTrainEpochs = 2 };
        var rough = estimates.Forecast("casual", "qwen2", settings);
        Assert.False(rough.ThroughputMeasured);

        var earlier = Store(studio).Runs.Create("earlier", Store(studio).Find("casual"), "qwen2", new RunRequest { Device = DevicePreference.Cpu });
        Store(studio).Runs.AddMetric(earlier.Id, new TrainingEvent(1, 1, 1, 2.5, 1e-4, 1, TokensPerSecond: 50, 1, 0, MemoryBytes: 1L << 30));
        var measured = estimates.Forecast("casual", "qwen2", settings);
        Assert.True(measured.ThroughputMeasured);
        Assert.Equal(50, measured.TokensPerSecond);
        Assert.True(measured.TokensPerEpoch > 0);
        Assert.Equal(measured.TokensPerEpoch * 2 / 50.0, measured.Time!.Value.TotalSeconds, 3);
    }

    [Fact]
    public async Task The_time_estimate_counts_the_GPUs_a_run_trains_on()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var estimates = studio.Services.GetRequiredService<StyleStudio.Application.Runs.TrainingEstimates>();
        var one = new RunRequest { Device = DevicePreference.Cuda, NumTrainEpochs = 2 };
        var two = one with { Devices = [0, 1] };
        var alone = estimates.Forecast("casual", "qwen2", one);
        var both = estimates.Forecast("casual", "qwen2", two);
        Assert.False(both.ThroughputMeasured);
        Assert.Equal(alone.TokensPerSecond * 2, both.TokensPerSecond, 6);
        Assert.Equal(alone.Time!.Value.TotalSeconds / 2, both.Time!.Value.TotalSeconds, 3);
        Assert.Equal(alone.Memory.TotalBytes, both.Memory.TotalBytes);      // each GPU holds a copy of its own

        // A run's measured throughput speaks for runs on as many GPUs as it had.
        var earlier = Store(studio).Runs.Create("one GPU", Store(studio).Find("casual"), "qwen2", one);
        Store(studio).Runs.AddMetric(earlier.Id, new TrainingEvent(1, 1, 1, 2.5, 1e-4, 1, TokensPerSecond: 50, 1, 0, MemoryBytes: 1L << 30));
        Assert.Equal(50, estimates.Forecast("casual", "qwen2", one).TokensPerSecond);
        Assert.False(estimates.Forecast("casual", "qwen2", two).ThroughputMeasured);
        var wide = Store(studio).Runs.Create("two GPUs", Store(studio).Find("casual"), "qwen2", two);
        Store(studio).Runs.AddMetric(wide.Id, new TrainingEvent(1, 1, 1, 2.5, 1e-4, 1, TokensPerSecond: 90, 1, 0, MemoryBytes: 1L << 30));
        var measured = estimates.Forecast("casual", "qwen2", two);
        Assert.True(measured.ThroughputMeasured);
        Assert.Equal(90, measured.TokensPerSecond);
    }

    [Fact]
    public async Task The_form_reads_in_Chinese_with_and_without_a_dataset()
    {
        await using var studio = new StudioServer();
        var page = await studio.OpenAsync("/training", PageLanguage.Chinese);
        await Assertions.Expect(page.Locator("#no-dataset-hint")).ToBeVisibleAsync();
        await AssertFormTranslatedAsync(page);

        Store(studio).Create("随意风格", Pairs, "test");
        page = await studio.OpenAsync("/training", PageLanguage.Chinese);
        await page.Locator("#preset-quality").ClickAsync();
        await OpenAdvancedAsync(page);
        await page.Locator("#lora-targets").GetByRole(AriaRole.Checkbox).First.ClickAsync();   // none chosen: the hint shows
        await Assertions.Expect(page.Locator("#lora-targets-empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#memory-estimate")).ToBeVisibleAsync();
        await AssertFormTranslatedAsync(page);
        await page.Locator("#start-training").ClickAsync();
        await Assertions.Expect(page.Locator("#start-error")).ToBeVisibleAsync();
        await AssertFormTranslatedAsync(page);
    }

    /// <summary>
    /// The page's language check, with the run list left out: RunList belongs to the run pages' work, which localizes it
    /// on its own branch (its English headers would fail this check until the two meet).
    /// </summary>
    static async Task AssertFormTranslatedAsync(IPage page)
    {
        await page.EvaluateAsync("() => document.getElementById('run-list')?.style.setProperty('display', 'none')");
        await PageLanguage.AssertTranslatedAsync(page);
    }
}
