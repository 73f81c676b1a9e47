using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Cluster;

/// <summary>
/// Cluster mode as the README sets it up, all on this machine: PostgreSQL and Redis (the real servers .ci/run starts), the
/// README's studio command and two of its worker commands, typed in the checkout, sharing one data folder. A run queued through the studio's HTTP API
/// trains on one worker; that worker is killed with SIGKILL mid-run; the other notices its heartbeat stop and finishes the
/// run from the last checkpoint. The run page (Chromium), a training-hub client and PostgreSQL each see every step once.
/// </summary>
[Collection(ReadmeCommands.Collection)]
public sealed class WorkerFailoverTests(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The Redis server of the cluster tests: <c>$STYLESTUDIO_TEST_REDIS</c>, else the local one .ci/run starts.</summary>
    static string Redis => Environment.GetEnvironmentVariable("STYLESTUDIO_TEST_REDIS") is { Length: > 0 } value ? value : "127.0.0.1:6379";

    const string Pairs = """
        {"formal": "Good morning.", "casual": "morning!"}
        {"formal": "Thank you kindly.", "casual": "thx!"}
        {"formal": "I must decline.", "casual": "nah"}
        {"formal": "See you later.", "casual": "cya"}
        {"formal": "It is raining heavily.", "casual": "pouring out there"}
        {"formal": "Please be seated.", "casual": "sit down"}
        """;

    const int Steps = 240, SaveEvery = 10;

    [Fact]
    public async Task A_run_whose_worker_is_killed_finishes_on_the_other_worker_with_every_step_once()
    {
        string root = Fixtures.RepositoryRoot();
        string shared = Directory.CreateTempSubdirectory("cluster-shared-").FullName;
        // The settings the README's cluster instructions export on every node, with this test's servers and folder, plus a
        // short heartbeat so the test need not wait half a minute for the death to be noticed.
        var cluster = new Dictionary<string, string>
        {
            ["Studio__Mode"] = "cluster",
            ["Studio__Cluster__Postgres"] = database.ConnectionString,
            ["Studio__Cluster__Redis"] = Redis,
            ["Studio__Cluster__Name"] = "test-" + Guid.NewGuid().ToString("N")[..12],
            ["Studio__Cluster__HeartbeatSeconds"] = "1",
            ["Studio__Cluster__WorkerTimeoutSeconds"] = "5",
            ["Studio__DataFolder"] = shared,
            ["Studio__ModelsFolder"] = Path.Combine(Fixtures.Root, "models"),
        };
        var exported = ReadmeCommands.Lines(root, "export Studio__").Select(line => line["export ".Length..].Split('=')[0]).ToList();
        Assert.Equal(["Studio__Mode", "Studio__Cluster__Postgres", "Studio__Cluster__Redis", "Studio__DataFolder"], exported);
        Assert.All(exported, name => Assert.Contains(name, cluster.Keys));

        // The README builds once, then starts each process with --no-build.
        string build = ReadmeCommands.Line(root, "dotnet build src/StyleStudio.Web");
        using (var built = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", build])
               { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            string log = await built.StandardOutput.ReadToEndAsync(Cancel) + await built.StandardError.ReadToEndAsync(Cancel);
            await built.WaitForExitAsync(Cancel);
            Assert.True(built.ExitCode == 0, $"'{build}' failed:\n{log}");
        }
        // The studio and both workers start at once on the empty database, as a cluster comes up: they create its tables
        // together.
        var words = ReadmeCommands.Line(root, "dotnet run --no-build --project src/StyleStudio.Cli -- worker").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var workers = new Dictionary<string, CliProcess>();
        try
        {
            foreach (string name in new[] { "worker-a", "worker-b" }) workers[name] = new CliProcess(cluster, root, [.. words, "--name", name]);
            await using var studio = await StudioProcess.StartAsync(ReadmeCommands.Line(root, "dotnet run --no-build --project src/StyleStudio.Web"), root,
                TimeSpan.FromMinutes(5), environment: cluster);
            Assert.Contains("Mode:    cluster", studio.Output);
            foreach (var (name, worker) in workers)
                worker.WaitUntil(() => worker.Stdout.Contains($"worker {name}: training queued runs"), TimeSpan.FromMinutes(5));
            Assert.All(workers.Values.Select(w => w.Stdout + w.Stderr).Append(studio.Output), output => Assert.DoesNotContain("fail:", output));
            string survivor = await QueueKillAndFinish(studio, workers, shared);
            string restarted = workers.Keys.Single(name => name != survivor);
            workers[restarted].Dispose();   // the killed one
            var again = workers[restarted] = new CliProcess(cluster, root, [.. words, "--name", restarted]);
            again.WaitUntil(() => again.Stdout.Contains($"worker {restarted}: training queued runs"), TimeSpan.FromMinutes(5));
            await PauseHandOverAndCancel(studio, workers, shared);
            await StopGracefullyAndFinish(studio, workers, shared);
        }
        finally
        {
            foreach (var worker in workers.Values) worker.Dispose();
            Directory.Delete(shared, recursive: true);
        }
    }

    /// <summary>Queues a run through the studio's API, kills the worker holding it mid-run, and checks how it ended;
    /// returns the name of the worker that finished it.</summary>
    async Task<string> QueueKillAndFinish(StudioProcess studio, Dictionary<string, CliProcess> workers, string shared)
    {
        using var http = new HttpClient { BaseAddress = studio.Address };
        // Both workers join the list (a server announces itself just after its process has started).
        var expected = workers.Keys.Select(name => (name, true)).Order().ToList();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        List<(string, bool)> listed;
        do
        {
            await Task.Delay(200, Cancel);
            listed = (await Expect(await http.GetAsync("/api/v1/workers", Cancel), HttpStatusCode.OK)).EnumerateArray()
                .Select(w => (w.GetProperty("name").GetString()!.Split(' ')[0], w.GetProperty("alive").GetBoolean())).Order().ToList();
        }
        while (!listed.SequenceEqual(expected) && DateTime.UtcNow < deadline);
        Assert.Equal(expected, listed);
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(Pairs)), "file", "pairs.jsonl" } };
        form.Add(new StringContent("casual"), "name");
        form.Add(new StringContent("formal"), "input");
        form.Add(new StringContent("casual"), "output");
        await Expect(await http.PostAsync("/api/v1/datasets", form, Cancel), HttpStatusCode.Created);
        var started = await Expect(await http.PostAsJsonAsync("/api/v1/runs", new
        {
            name = "failover", dataset = "casual", model = "qwen2",
            settings = new
            {
                learning_rate = 1e-3, num_train_epochs = 1000, max_steps = Steps, per_device_train_batch_size = 1,
                gradient_accumulation_steps = 1, save_steps = SaveEvery, save_total_limit = 2, device = "cpu", dtype = "float32",
            },
        }, Cancel), HttpStatusCode.Accepted);
        int runId = started.GetProperty("id").GetInt32();

        // An outside client on the training hub, and the run page in Chromium, follow the run from the start.
        var hubSteps = new List<int>();
        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(studio.Address, "hubs/training")).Build();
        hub.On<JsonElement>("RunUpdate", update =>
        {
            if (update.TryGetProperty("metric", out var metric) && metric.ValueKind == JsonValueKind.Object)
                lock (hubSteps) hubSteps.Add(metric.GetProperty("step").GetInt32());
        });
        await hub.StartAsync(Cancel);
        await hub.InvokeAsync<JsonElement>("Subscribe", runId, Cancel);
        var (playwright, browser) = await HeadlessChromium.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        // The Training page lists both workers, one of them training the run.
        await page.GotoAsync(new Uri(studio.Address, "training").ToString());
        await page.Locator("#training-workers .worker-row").Nth(1).WaitForAsync();
        await page.Locator("#training-workers a", new() { HasText = "failover" }).WaitForAsync();
        foreach (string name in workers.Keys) Assert.Contains(name, await page.Locator("#training-workers").InnerTextAsync());
        await page.GotoAsync(new Uri(studio.Address, $"runs/{runId}").ToString());

        // The worker holding the run is killed once it has saved a checkpoint and trained past it.
        var run = await WaitForRun(http, runId, r => r.GetProperty("progress").GetProperty("step").GetInt32() >= SaveEvery + 3, TimeSpan.FromMinutes(3), studio, workers);
        string holder = run.GetProperty("worker").GetString()!;
        var (killedName, killed) = workers.Single(w => holder.StartsWith(w.Key + ":", StringComparison.Ordinal));
        var (survivorName, survivor) = workers.Single(w => w.Key != killedName);
        // SIGKILL to the command as typed (`dotnet run … worker`): the worker it started must die with it, not train on unseen.
        killed.Kill();
        int stepAtKill = run.GetProperty("progress").GetProperty("step").GetInt32();
        await WaitForRun(http, runId, r => r.GetProperty("status").GetString() != "running" || !r.GetProperty("worker").GetString()!.StartsWith(killedName + ":", StringComparison.Ordinal),
            TimeSpan.FromMinutes(1), studio, workers);
        // The studio shows the killed worker silent once its run has moved.
        var silent = await Expect(await http.GetAsync("/api/v1/workers", Cancel), HttpStatusCode.OK);
        Assert.False(silent.EnumerateArray().Single(w => w.GetProperty("id").GetString() == holder).GetProperty("alive").GetBoolean());

        var finished = await WaitForRun(http, runId, r => r.GetProperty("status").GetString() is "completed" or "failed" or "cancelled",
            TimeSpan.FromMinutes(5), studio, workers);
        Assert.True(finished.GetProperty("status").GetString() == "completed", $"the run ended {finished}\n{survivor.Stdout}\n{survivor.Stderr}");
        Assert.StartsWith(survivorName + ":", finished.GetProperty("worker").GetString());
        Assert.Contains("resumed from checkpoint-", finished.GetProperty("message").GetString());
        Assert.Equal(2, finished.GetProperty("attempts").GetInt32());   // the killed attempt stays counted

        // PostgreSQL: every step once, in order, no gap.
        using (var store = DataStore.OpenShared(shared, database.ConnectionString))
            Assert.Equal(Enumerable.Range(1, Steps), store.Runs.Metrics(runId).Select(m => m.Step));
        var metrics = await Expect(await http.GetAsync($"/api/v1/runs/{runId}/metrics", Cancel), HttpStatusCode.OK);
        Assert.Equal(Enumerable.Range(1, Steps), metrics.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("step").GetInt32()));

        // The run page drew each step once.
        await page.WaitForFunctionAsync($"() => document.getElementById('loss-chart')?.data?.[0]?.x?.length === {Steps}");
        var drawn = await page.EvaluateAsync<int[]>("() => document.getElementById('loss-chart').data[0].x");
        Assert.Equal(Enumerable.Range(1, Steps), drawn);
        Assert.Contains(survivorName, await page.Locator("#run-worker").InnerTextAsync());

        // The hub client heard the surviving worker's steps through Redis, each step once apart from the ones re-trained
        // after the checkpoint (the killed worker had sent them before it died).
        int[] heard;
        lock (hubSteps) heard = [.. hubSteps];
        Assert.Contains(Steps, heard);
        Assert.Contains(heard, step => step > stepAtKill);
        Assert.Equal(Enumerable.Range(heard.Min(), Steps - heard.Min() + 1), heard.Distinct().Order());
        return survivorName;
    }

    /// <summary>
    /// A worker that is paused (SIGSTOP: alive, holding its connections, but silent — as in a network partition) loses its
    /// run to the other worker, which waits for the run's lease instead of training beside it; once the paused worker
    /// runs again it records the step it was on, sees the run handed over and stops at a checkpoint, and the other
    /// continues after it. Then the studio cancels the run on the worker across processes.
    /// </summary>
    async Task PauseHandOverAndCancel(StudioProcess studio, Dictionary<string, CliProcess> workers, string shared)
    {
        using var http = new HttpClient { BaseAddress = studio.Address };
        var started = await Expect(await http.PostAsJsonAsync("/api/v1/runs", new
        {
            name = "partition", dataset = "casual", model = "qwen2",
            settings = new
            {
                learning_rate = 1e-3, num_train_epochs = 100_000, per_device_train_batch_size = 1, gradient_accumulation_steps = 1,
                save_steps = SaveEvery, save_total_limit = 2, device = "cpu", dtype = "float32",
            },
        }, Cancel), HttpStatusCode.Accepted);
        int runId = started.GetProperty("id").GetInt32();
        var run = await WaitForRun(http, runId, r => Step(r) >= SaveEvery + 3, TimeSpan.FromMinutes(3), studio, workers);
        string holder = run.GetProperty("worker").GetString()!;
        var (pausedName, paused) = workers.Single(w => holder.StartsWith(w.Key + ":", StringComparison.Ordinal));
        var (otherName, _) = workers.Single(w => w.Key != pausedName);

        paused.SignalTree("STOP");
        try
        {
            var handed = await WaitForRun(http, runId, r => r.GetProperty("status").GetString() == "queued", TimeSpan.FromMinutes(1), studio, workers);
            Assert.Contains($"worker {holder} stopped", handed.GetProperty("message").GetString());
            // The other worker has the job but not the lease: nothing trains while the paused worker holds it.
            int before = Step(handed);
            await Task.Delay(TimeSpan.FromSeconds(4), Cancel);
            var waiting = await Expect(await http.GetAsync($"/api/v1/runs/{runId}", Cancel), HttpStatusCode.OK);
            Assert.Equal(("queued", before), (waiting.GetProperty("status").GetString(), Step(waiting)));
        }
        finally
        {
            paused.SignalTree("CONT");
        }

        var resumed = await WaitForRun(http, runId, r => r.GetProperty("status").GetString() == "running" && r.GetProperty("worker").GetString()!.StartsWith(otherName + ":", StringComparison.Ordinal)
            && r.GetProperty("message").GetString()!.Contains("resumed from"), TimeSpan.FromMinutes(2), studio, workers);
        int handOver = Step(resumed);
        await WaitForRun(http, runId, r => Step(r) >= handOver + 3, TimeSpan.FromMinutes(2), studio, workers);
        await Expect(await http.PostAsync($"/api/v1/runs/{runId}/cancel", null, Cancel), HttpStatusCode.Accepted);
        var cancelled = await WaitForRun(http, runId, r => r.GetProperty("status").GetString() != "running", TimeSpan.FromMinutes(1), studio, workers);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());

        using var store = DataStore.OpenShared(shared, database.ConnectionString);
        var steps = store.Runs.Metrics(runId).Select(m => m.Step).ToList();
        Assert.Equal(Enumerable.Range(1, steps.Count), steps);
        Assert.True(steps.Count >= handOver + 3, $"{steps.Count} steps recorded; the other worker took over at {handOver}");
    }

    /// <summary>
    /// SIGTERM to the worker holding a run (as `docker stop` or systemd send it): it finishes its step, saves a checkpoint,
    /// puts the run back in the queue without using an attempt and exits 0; the other worker finishes the run.
    /// </summary>
    async Task StopGracefullyAndFinish(StudioProcess studio, Dictionary<string, CliProcess> workers, string shared)
    {
        using var http = new HttpClient { BaseAddress = studio.Address };
        const int steps = 120;
        var started = await Expect(await http.PostAsJsonAsync("/api/v1/runs", new
        {
            name = "stopped", dataset = "casual", model = "qwen2",
            settings = new
            {
                learning_rate = 1e-3, num_train_epochs = 1000, max_steps = steps, per_device_train_batch_size = 1,
                gradient_accumulation_steps = 1, save_steps = 1000, device = "cpu", dtype = "float32",
            },
        }, Cancel), HttpStatusCode.Accepted);
        int runId = started.GetProperty("id").GetInt32();
        var run = await WaitForRun(http, runId, r => Step(r) >= 5, TimeSpan.FromMinutes(3), studio, workers);
        string holder = run.GetProperty("worker").GetString()!;
        var (stoppedName, stopped) = workers.Single(w => holder.StartsWith(w.Key + ":", StringComparison.Ordinal));
        var (otherName, _) = workers.Single(w => w.Key != stoppedName);

        stopped.SignalChildren("TERM");   // the worker program itself, as a service manager stops it
        Assert.Equal(0, stopped.WaitForExit(TimeSpan.FromMinutes(1)));
        var finished = await WaitForRun(http, runId, r => r.GetProperty("status").GetString() is "completed" or "failed" or "cancelled",
            TimeSpan.FromMinutes(3), studio, workers);
        Assert.Equal("completed", finished.GetProperty("status").GetString());
        Assert.StartsWith(otherName + ":", finished.GetProperty("worker").GetString());
        Assert.Contains("resumed from checkpoint-", finished.GetProperty("message").GetString());
        Assert.Equal(1, finished.GetProperty("attempts").GetInt32());   // a clean stop uses no attempt
        using var store = DataStore.OpenShared(shared, database.ConnectionString);
        Assert.Equal(Enumerable.Range(1, steps), store.Runs.Metrics(runId).Select(m => m.Step));
    }

    static int Step(JsonElement run) => run.GetProperty("progress").GetProperty("step").GetInt32();

    static async Task<JsonElement> WaitForRun(HttpClient http, int runId, Func<JsonElement, bool> condition, TimeSpan limit,
        StudioProcess studio, Dictionary<string, CliProcess> workers)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var response = await http.GetAsync($"/api/v1/runs/{runId}", Cancel);
            if (response.StatusCode != HttpStatusCode.OK)   // the studio's log says why
                Assert.Fail($"GET /api/v1/runs/{runId}: {response.StatusCode}\nstudio:\n{studio.Output}");
            var run = await Expect(response, HttpStatusCode.OK);
            if (condition(run)) return run;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"run {runId} is still {run}\nstudio:\n{studio.Output}\n" +
                    string.Join("\n", workers.Select(w => $"{w.Key}:\n{w.Value.Stdout}\n{w.Value.Stderr}")));
            await Task.Delay(100, Cancel);
        }
    }

    static async Task<JsonElement> Expect(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}
