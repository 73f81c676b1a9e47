using StyleStudio.Training.Runtime;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StyleStudio.Data.Model;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Training;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Reading and comparing runs in the browser, on real tiny training runs: the compare page overlays runs with the stored
/// steps, the run page diffs settings, downloads the adapter and the metrics, ends with the duration (not a time left)
/// once stopped, and explains a failure; the runs list filters and picks runs to compare. Each in Chinese too.
/// </summary>
[Collection(StudioServer.Collection)]
public class RunPagesTests
{
    static readonly DatasetRow[] Pairs =
    [
        new() { Instruction = "formal: Good morning.", Output = "morning!" },
        new() { Instruction = "formal: Thank you kindly.", Output = "thx!" },
        new() { Instruction = "formal: I decline.", Output = "nah" },
    ];

    static RunRequest Short(double learningRate) => new()
    {
        LearningRate = learningRate, NumTrainEpochs = 6, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1,
        Device = StyleStudio.Training.Runtime.DevicePreference.Cpu, Precision = StyleStudio.Training.Trainer.ComputePrecision.Float32,
    };

    static DataStore Store(StudioServer studio) => studio.Services.GetRequiredService<DataStore>();

    [Fact]
    public async Task Two_real_runs_are_overlaid_diffed_and_downloadable()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var runs = studio.Services.GetRequiredService<TrainingRuns>();
        var fast = runs.Start("快速", "casual", "qwen2", Short(1e-2));
        var slow = runs.Start("慢速", "casual", "qwen2", Short(1e-3));
        await WaitForAsync(() => new[] { fast.Id, slow.Id }.All(id => Store(studio).Runs.Get(id).Status is RunStatus.Completed or RunStatus.Failed),
            TimeSpan.FromMinutes(3));
        Assert.All(new[] { fast.Id, slow.Id }, id => Assert.Equal(RunStatus.Completed, Store(studio).Runs.Get(id).Status));

        // Compare page: one trace a run, named after it, holding exactly the stored steps and losses.
        var page = await studio.OpenAsync($"/runs/compare?ids={fast.Id},{slow.Id}");
        await page.WaitForFunctionAsync("() => document.getElementById('compare-chart')?.data?.length === 2");
        var traces = await page.EvaluateAsync<JsonElement>("() => document.getElementById('compare-chart').data.map(t => ({ name: t.name, x: t.x, y: t.y }))");
        Assert.Equal(["快速", "慢速"], traces.EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        foreach (var (trace, run) in traces.EnumerateArray().Zip([fast, slow]))
        {
            var stored = Store(studio).Runs.Metrics(run.Id);
            Assert.Equal(6, stored.Count);
            Assert.Equal(stored.Select(m => m.Step), trace.GetProperty("x").EnumerateArray().Select(x => x.GetInt32()));
            Assert.Equal(stored.Select(m => m.Loss), trace.GetProperty("y").EnumerateArray().Select(y => y.GetDouble()));
        }
        await Assertions.Expect(page.Locator("#compare-settings")).ToContainTextAsync("Learning rate");
        // Another metric, and the y axis switched to linear, redraw the same runs.
        await page.Locator("#compare-chart-metric").GetByText("Learning rate").ClickAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('compare-chart').layout.yaxis.title.text === 'Learning rate'");
        var rates = await page.EvaluateAsync<double[]>("() => document.getElementById('compare-chart').data[0].y");
        Assert.Equal(Store(studio).Runs.Metrics(fast.Id).Select(m => m.LearningRate), rates);

        // Run page: the settings diff with the other run names the learning rate.
        var runPage = await studio.OpenAsync($"/runs/{fast.Id}");
        await ChooseAsync(runPage, "Run", "慢速");
        await Assertions.Expect(runPage.Locator("#run-diff-table")).ToContainTextAsync("Learning rate");
        await Assertions.Expect(runPage.Locator("#run-diff-table")).ToContainTextAsync(1e-3.ToString("G", CultureInfo.InvariantCulture));
        await Assertions.Expect(runPage.Locator("#run-took")).ToBeVisibleAsync();
        await Assertions.Expect(runPage.Locator("#run-time-left")).ToHaveCountAsync(0);
        await Assertions.Expect(runPage.Locator("#run-playground")).ToHaveAttributeAsync("href", $"playground?model=run-{fast.Id}");

        // The adapter zip, downloaded through the page's button: the PEFT config and weights.
        var download = await runPage.RunAndWaitForDownloadAsync(() => runPage.Locator("#run-adapter-zip").ClickAsync());
        using (var zip = ZipFile.OpenRead(await download.PathAsync()))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains(PeftAdapter.ConfigFile, names);
            Assert.Contains(PeftAdapter.WeightsFile, names);
            Assert.DoesNotContain(names, n => n.StartsWith("checkpoint-", StringComparison.Ordinal));
            using var config = JsonDocument.Parse(zip.GetEntry(PeftAdapter.ConfigFile)!.Open());
            Assert.Equal("LORA", config.RootElement.GetProperty("peft_type").GetString());
        }

        // The metrics CSV: every stored step, values as stored.
        using var http = new HttpClient { BaseAddress = studio.Address };
        var lines = (await http.GetStringAsync($"runs/{fast.Id}/metrics.csv", TestContext.Current.CancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var metrics = Store(studio).Runs.Metrics(fast.Id);
        Assert.Equal(RunDownloads.CsvHeader, lines[0]);
        Assert.Equal(metrics.Select(m => m.Step), lines.Skip(1).Select(l => int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)));
        Assert.Equal(metrics.Select(m => m.Loss), lines.Skip(1).Select(l => double.Parse(l.Split(',')[3], CultureInfo.InvariantCulture)));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("runs/999/adapter.zip", TestContext.Current.CancellationToken)).StatusCode);

        // The same pages in Chinese.
        var chinese = await studio.OpenAsync($"/runs/{fast.Id}", PageLanguage.Chinese);
        await ChooseAsync(chinese, "训练任务", "慢速");
        await Assertions.Expect(chinese.Locator("#run-diff-table")).ToContainTextAsync("学习率");
        await chinese.WaitForFunctionAsync("() => document.getElementById('loss-chart')?.data?.length === 1");
        await PageLanguage.AssertTranslatedAsync(chinese);
        var compare = await studio.OpenAsync($"/runs/compare?ids={fast.Id},{slow.Id}", PageLanguage.Chinese);
        await compare.WaitForFunctionAsync("() => document.getElementById('compare-chart')?.data?.length === 2");
        await PageLanguage.AssertTranslatedAsync(compare);
    }

    [Fact]
    public async Task A_cancelled_run_shows_how_long_it_took_and_no_time_left()
    {
        await using var studio = new StudioServer();
        Store(studio).Create("casual", Pairs, "test");
        var settings = new RunRequest { NumTrainEpochs = 10_000, PerDeviceTrainBatchSize = 3, GradientAccumulationSteps = 1, Device = DevicePreference.Cpu, Precision = ComputePrecision.Float32 };
        int runId = studio.Services.GetRequiredService<TrainingRuns>().Start("无尽", "casual", "qwen2", settings).Id;
        var page = await studio.OpenAsync($"/runs/{runId}");
        await Assertions.Expect(page.Locator("#run-time-left")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await page.Locator("#cancel-run").ClickAsync();
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Cancelled", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#run-time-left")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#run-took")).ToContainTextAsync("took ");
        await Assertions.Expect(page.Locator("#run-progress")).Not.ToContainTextAsync("left");

        var chinese = await studio.OpenAsync($"/runs/{runId}", PageLanguage.Chinese);
        await Assertions.Expect(chinese.Locator("#run-status")).ToHaveTextAsync("已取消");
        await Assertions.Expect(chinese.Locator("#run-took")).ToContainTextAsync("用时");
        await PageLanguage.AssertTranslatedAsync(chinese);
    }

    [Fact]
    public async Task A_failed_run_shows_its_error_and_what_to_try()
    {
        await using var studio = new StudioServer();
        var dataset = Store(studio).Create("casual", Pairs, "test");
        var run = Store(studio).Runs.Create("发散", dataset, "qwen2", Short(10));
        string error = new TrainingDivergedException(3, "loss").Message;
        Store(studio).Runs.MarkFinished(run.Id, RunStatus.Failed, error);

        var page = await studio.OpenAsync($"/runs/{run.Id}");
        await Assertions.Expect(page.Locator("#run-status")).ToHaveTextAsync("Failed");
        await Assertions.Expect(page.Locator("#run-message")).ToHaveTextAsync(error);
        await Assertions.Expect(page.Locator("#run-advice")).ToContainTextAsync("lower the learning rate");
        await Assertions.Expect(page.Locator("#run-adapter-zip")).ToHaveCountAsync(0);

        var chinese = await studio.OpenAsync($"/runs/{run.Id}", PageLanguage.Chinese);
        await Assertions.Expect(chinese.Locator("#run-advice")).ToContainTextAsync("降低学习率");
        await PageLanguage.AssertTranslatedAsync(chinese);
    }

    [Fact]
    public async Task A_long_run_is_drawn_thinned_while_its_csv_keeps_every_step()
    {
        await using var studio = new StudioServer();
        var dataset = Store(studio).Create("casual", Pairs, "test");
        var run = Store(studio).Runs.Create("长跑", dataset, "qwen2", Short(1e-3));
        const int steps = 20_000;
        for (int step = 1; step <= steps; step++)
        {
            double loss = step == 12_345 ? 9.5 : 3.0 / Math.Sqrt(step);   // one spike the thinned chart must keep
            Store(studio).Runs.AddMetric(run.Id, new(step, steps, step / 100.0, loss, 1e-4, 1.0, 1000, step, 0, MemoryBytes: 1L << 30));
        }
        Store(studio).Runs.MarkFinished(run.Id, RunStatus.Completed, "done");

        var page = await studio.OpenAsync($"/runs/{run.Id}");
        await page.WaitForFunctionAsync("() => document.getElementById('loss-chart')?.data?.[0]?.x?.length > 0");
        var x = await page.EvaluateAsync<int[]>("() => document.getElementById('loss-chart').data[0].x");
        var y = await page.EvaluateAsync<double[]>("() => document.getElementById('loss-chart').data[0].y");
        Assert.InRange(x.Length, 1000, 2000);
        Assert.Equal(1, x[0]);
        Assert.Equal(steps, x[^1]);
        Assert.Contains(9.5, y);
        await Assertions.Expect(page.Locator("#run-peak-memory")).ToHaveTextAsync("1.00 GiB");

        using var http = new HttpClient { BaseAddress = studio.Address };
        var lines = (await http.GetStringAsync($"runs/{run.Id}/metrics.csv", TestContext.Current.CancellationToken))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(steps + 1, lines.Length);
    }

    [Fact]
    public async Task A_runs_settings_download_as_a_YAML_run_file_that_the_CLI_reads_back_to_the_same_request()
    {
        await using var studio = new StudioServer();
        var dataset = Store(studio).Create("casual", Pairs, "test");
        var asked = Short(1e-3) with
        {
            LoraRank = 16, LoraTarget = ["q_proj", "v_proj"], UseDora = true, LrScheduler = ScheduleKind.Linear, WarmupRatio = 0.1,
            ValSize = 0.2, EvalSteps = 5, GradientCheckpointing = false,
        };
        var run = Store(studio).Runs.Create("yaml", dataset, "qwen2", asked);

        var page = await studio.OpenAsync($"/runs/{run.Id}");
        await Assertions.Expect(page.Locator("#run-settings-yaml")).ToHaveAttributeAsync("href", $"runs/{run.Id}/settings.yaml");
        using var http = new HttpClient { BaseAddress = studio.Address };
        string yaml = await http.GetStringAsync($"runs/{run.Id}/settings.yaml", TestContext.Current.CancellationToken);
        Assert.StartsWith($"# StyleStudio run {run.Id} (yaml): dataset casual v1", yaml);
        Assert.Contains("lora_target: q_proj,v_proj", yaml);
        Assert.Contains("lr_scheduler_type: linear", yaml);

        var settings = RunSettingsYaml.Read(yaml);   // what `stylestudio train --config` reads
        Assert.Equal("casual", settings.Dataset);
        Assert.Equal(Fixtures.Model("qwen2"), settings.ModelNameOrPath);
        Assert.Equal(asked with { ModelPath = Fixtures.Model("qwen2") }, settings.ToRequest() with { LoraTarget = asked.LoraTarget });
        Assert.Equal(asked.LoraTarget, settings.ToRequest().LoraTarget);
    }

    [Fact]
    public async Task The_runs_list_filters_searches_and_picks_runs_to_compare()
    {
        await using var studio = new StudioServer();
        var casual = Store(studio).Create("casual", Pairs, "test");
        var classical = Store(studio).Create("classical", Pairs, "test");
        var runs = Store(studio).Runs;
        var a = runs.Create("alpha one", casual, "qwen2", Short(1e-3));
        var b = runs.Create("alpha two", classical, "llama", Short(1e-3));
        var c = runs.Create("beta", casual, "llama", Short(1e-3));
        runs.MarkFinished(a.Id, RunStatus.Completed, "done");
        runs.MarkFinished(b.Id, RunStatus.Failed, "no dataset named 'x'");
        runs.MarkFinished(c.Id, RunStatus.Completed, "done");

        var page = await studio.OpenAsync("/training");
        var rows = page.Locator("#run-list tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await page.Locator("#run-search").FillAsync("alpha");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await ChooseAsync(page, "Status", "Failed");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("alpha two");
        await page.Locator("#run-search").FillAsync("");
        await ChooseAsync(page, "Status", "Completed");
        await Assertions.Expect(rows).ToHaveCountAsync(2);
        await ChooseAsync(page, "Model", "llama");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("beta");
        await ChooseAsync(page, "Dataset", "classical");
        await Assertions.Expect(page.Locator("#run-list")).ToContainTextAsync("No run matches these filters.");

        // Sorting by name, then ticking two runs opens them on the compare page.
        var fresh = await studio.OpenAsync("/training");
        await fresh.Locator("#run-list").GetByText("Run", new() { Exact = true }).ClickAsync();
        await Assertions.Expect(fresh.Locator("#run-list tbody tr").First).ToContainTextAsync("alpha one");
        await Assertions.Expect(fresh.Locator("#compare-runs")).ToBeDisabledAsync();
        await fresh.Locator($"#run-select-{a.Id} input").CheckAsync();
        await fresh.Locator($"#run-select-{c.Id} input").CheckAsync();
        await fresh.Locator("#compare-runs").ClickAsync();
        await PageUrl.ExpectAsync(fresh, $"**/runs/compare?ids={a.Id},{c.Id}");
        await Assertions.Expect(fresh.Locator("#compare-settings")).ToContainTextAsync("Base model");

        // The list (the page's form is another component) in Chinese: no English interface words in it.
        var chinese = await studio.OpenAsync("/training", PageLanguage.Chinese);
        await Assertions.Expect(chinese.Locator("#run-list")).ToContainTextAsync("已完成");
        string listText = await chinese.EvaluateAsync<string>("""
            () => [...document.querySelectorAll('#run-filters, #run-list')].flatMap(root => {
              const parts = [], walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
              for (let node = walker.nextNode(); node; node = walker.nextNode())
                if (!node.parentElement.closest('[translate="no"]')) parts.push(node.textContent);
              return parts;
            }).join(' ')
            """);
        var english = System.Text.RegularExpressions.Regex.Matches(listText, @"\b[A-Za-z][a-z]{2,}\b")
            .Select(m => m.Value).Where(PageLanguage.EnglishInterfaceWords.Value.Contains).ToList();
        Assert.True(english.Count == 0, "English in the Chinese runs list: " + string.Join(", ", english));
    }

    /// <summary>Like <see cref="StudioServer.ChooseAsync"/>, for a label that is part of another (Model, Base model).</summary>
    static async Task ChooseAsync(IPage page, string label, string option)
    {
        await page.GetByLabel(label, new() { Exact = true }).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = option }).First.ClickAsync();
    }

    static async Task WaitForAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not reached within {limit}");
            await Task.Delay(200);
        }
    }
}
