using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The studio API (/api/v1) over real HTTP against the real studio: a file uploaded with a column mapping (its bad row
/// reported, not dropped), a run of the tiny qwen2 model trained on CPU and followed through /metrics?after= to its end,
/// a long run cancelled, bad requests answered as problem details naming the field, and API keys enforced.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class StudioApiTests
{
    const string Key = "sk-studio-api-test-7";

    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Three usable rows and one without an answer, under column names the detector cannot know.</summary>
    const string Pairs = """
        {"formal": "Good morning.", "casual": "morning!", "id": 1}
        {"formal": "Thank you kindly.", "casual": "thx!", "id": 2}
        {"formal": "I must decline.", "id": 3}
        {"formal": "See you later.", "casual": "cya", "id": 4}
        """;

    static object TinyRun(string dataset, double epochs = 3) => new
    {
        name = "api run", dataset, model = "qwen2",
        settings = new { learning_rate = 1e-2, num_train_epochs = epochs, per_device_train_batch_size = 1, gradient_accumulation_steps = 1, device = "cpu", dtype = "float32" },
    };

    static MultipartFormDataContent Upload(string fileName, string content, params (string Part, string Value)[] fields)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", fileName } };
        foreach (var (part, value) in fields) form.Add(new StringContent(value), part);
        return form;
    }

    static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Asserts an RFC 9457 problem naming <paramref name="field"/> with a reason containing <paramref name="reason"/>.</summary>
    static async Task AssertInvalidAsync(HttpResponseMessage response, string field, string reason)
    {
        var problem = await JsonAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(reason, Assert.Single(problem.GetProperty("errors").GetProperty(field).EnumerateArray()).GetString());
    }

    [Fact]
    public async Task A_mapped_upload_trains_and_its_metrics_follow_the_run_to_the_end()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };

        var uploaded = await JsonAsync(await client.PostAsync("/api/v1/datasets",
            Upload("pairs.jsonl", Pairs, ("name", "口语"), ("input", "formal"), ("output", "casual")), Cancel), HttpStatusCode.Created);
        Assert.Equal(3, uploaded.GetProperty("imported").GetInt64());
        Assert.Equal(1, uploaded.GetProperty("rejected").GetInt64());
        var rejection = Assert.Single(uploaded.GetProperty("rejections").EnumerateArray());
        Assert.Equal((3, "casual"), (rejection.GetProperty("row").GetInt64(), rejection.GetProperty("field").GetString()));
        Assert.Equal(("formal", "casual"), (uploaded.GetProperty("mapping").GetProperty("input").GetString(), uploaded.GetProperty("mapping").GetProperty("output").GetString()));
        var stored = studio.Services.GetRequiredService<DataStore>().Find("口语");
        Assert.Equal((3L, 1L), (stored.Rows, stored.Rejected));
        var listed = Assert.Single((await JsonAsync(await client.GetAsync("/api/v1/datasets", Cancel), HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal("口语", listed.GetProperty("name").GetString());
        var detail = await JsonAsync(await client.GetAsync("/api/v1/datasets/" + Uri.EscapeDataString("口语"), Cancel), HttpStatusCode.OK);
        Assert.Equal(3, Assert.Single(detail.GetProperty("rejections").EnumerateArray()).GetProperty("row").GetInt64());

        using var started = await client.PostAsJsonAsync("/api/v1/runs", TinyRun("口语"), Cancel);
        var run = await JsonAsync(started, HttpStatusCode.Accepted);
        int id = run.GetProperty("id").GetInt32();
        Assert.Equal($"/api/v1/runs/{id}", started.Headers.Location?.ToString());

        // Follow the run as a client would: ask for the steps after the last one seen until the run says it has finished.
        var seen = new List<JsonElement>();
        int after = 0;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var page = await JsonAsync(await client.GetAsync($"/api/v1/runs/{id}/metrics?after={after}", Cancel), HttpStatusCode.OK);
            var steps = page.GetProperty("steps").EnumerateArray().ToList();
            Assert.All(steps, s => Assert.True(s.GetProperty("step").GetInt32() > after, $"step {s.GetProperty("step")} came after ?after={after}"));
            seen.AddRange(steps);
            if (steps.Count > 0) after = steps[^1].GetProperty("step").GetInt32();
            if (page.GetProperty("finished").GetBoolean()) break;
            Assert.True(DateTime.UtcNow < deadline, "the run did not finish within 3 minutes");
            await Task.Delay(200, Cancel);
        }

        var numbers = seen.Select(s => s.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, numbers.Count), numbers);   // strictly increasing, each once, none missing
        var recorded = studio.Services.GetRequiredService<DataStore>().Runs.Metrics(id);
        Assert.Equal(recorded.Select(m => m.Step), numbers);
        Assert.Equal(recorded.Select(m => m.Loss), seen.Select(s => s.GetProperty("loss").GetDouble()));

        var finished = await JsonAsync(await client.GetAsync($"/api/v1/runs/{id}", Cancel), HttpStatusCode.OK);
        Assert.Equal("completed", finished.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, finished.GetProperty("error").ValueKind);
        var progress = finished.GetProperty("progress");
        Assert.Equal(numbers[^1], progress.GetProperty("step").GetInt32());
        Assert.Equal(numbers[^1], progress.GetProperty("total_steps").GetInt32());
        Assert.Equal(recorded[^1].Loss, finished.GetProperty("latest_loss").GetDouble());
        Assert.Equal(id, Assert.Single((await JsonAsync(await client.GetAsync("/api/v1/runs", Cancel), HttpStatusCode.OK)).EnumerateArray()).GetProperty("id").GetInt32());

        // Nothing after the last step; a finished run cannot be cancelled.
        Assert.Empty((await JsonAsync(await client.GetAsync($"/api/v1/runs/{id}/metrics?after={after}", Cancel), HttpStatusCode.OK)).GetProperty("steps").EnumerateArray());
        var ended = await JsonAsync(await client.PostAsync($"/api/v1/runs/{id}/cancel", null, Cancel), HttpStatusCode.Conflict);
        Assert.Equal("run_ended", ended.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_long_run_cancelled_through_the_API_ends_cancelled()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        await JsonAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "casual")), Cancel),
            HttpStatusCode.Created);
        int id = (await JsonAsync(await client.PostAsJsonAsync("/api/v1/runs", TinyRun("pairs", epochs: 100_000), Cancel), HttpStatusCode.Accepted))
            .GetProperty("id").GetInt32();

        // Cancel once it is training (a step recorded), so the job's own cancellation is what stops it.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while ((await JsonAsync(await client.GetAsync($"/api/v1/runs/{id}", Cancel), HttpStatusCode.OK)).GetProperty("progress").GetProperty("step").GetInt32() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the run recorded no step within 2 minutes");
            await Task.Delay(200, Cancel);
        }
        var cancelling = await JsonAsync(await client.PostAsync($"/api/v1/runs/{id}/cancel", null, Cancel), HttpStatusCode.Accepted);
        Assert.True(cancelling.GetProperty("cancel_requested").GetBoolean());

        JsonElement run;
        deadline = DateTime.UtcNow.AddMinutes(1);
        while ((run = await JsonAsync(await client.GetAsync($"/api/v1/runs/{id}", Cancel), HttpStatusCode.OK)).GetProperty("status").GetString() != "cancelled")
        {
            Assert.True(DateTime.UtcNow < deadline, $"the run did not stop within a minute: {run}");
            await Task.Delay(200, Cancel);
        }
        Assert.Equal(RunStatus.Cancelled, studio.Services.GetRequiredService<DataStore>().Runs.Get(id).Status);
        var metrics = await JsonAsync(await client.GetAsync($"/api/v1/runs/{id}/metrics", Cancel), HttpStatusCode.OK);
        Assert.True(metrics.GetProperty("finished").GetBoolean());
        Assert.True(metrics.GetProperty("steps").GetArrayLength() < run.GetProperty("progress").GetProperty("total_steps").GetInt32());
    }

    [Fact]
    public async Task Bad_requests_get_problem_details_naming_the_field()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };

        // Uploads: a column the file lacks, a mapping without an output, an unknown part, a file missing, not multipart.
        await AssertInvalidAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "reply")), Cancel),
            "output", "the file has no column 'reply'");
        await AssertInvalidAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal")), Cancel),
            "output", "no column is mapped to output");
        await AssertInvalidAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("colour", "blue")), Cancel),
            "colour", "not a part this endpoint takes");
        await AssertInvalidAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.txt", Pairs, ("input", "formal"), ("output", "casual")), Cancel),
            "file", "unknown file type '.txt'");
        var notMultipart = await JsonAsync(await client.PostAsJsonAsync("/api/v1/datasets", new { name = "x" }, Cancel), HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("unsupported_media_type", notMultipart.GetProperty("code").GetString());
        // Columns the detector can only guess at (from their order) are not imported unconfirmed, as on the page.
        var guessed = await JsonAsync(await client.PostAsync("/api/v1/datasets", Upload("ab.csv", "a,b\nGood morning.,morning!\n"), Cancel),
            HttpStatusCode.UnprocessableEntity);
        Assert.Equal("mapping_unconfirmed", guessed.GetProperty("code").GetString());
        Assert.Contains("Columns found: a, b", guessed.GetProperty("detail").GetString());
        Assert.Empty(studio.Services.GetRequiredService<DataStore>().Datasets());   // nothing stored by any of them

        await JsonAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "casual")), Cancel),
            HttpStatusCode.Created);
        var taken = await JsonAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "casual")), Cancel),
            HttpStatusCode.Conflict);
        Assert.Contains("'pairs' already exists", taken.GetProperty("detail").GetString());

        // Runs: an unknown dataset or model, settings out of range, of the wrong type, unknown, or the studio's own to set.
        async Task<HttpResponseMessage> Start(string json) =>
            await client.PostAsync("/api/v1/runs", new StringContent(json, Encoding.UTF8, "application/json"), Cancel);
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "nope", "model": "qwen2"}"""), "dataset", "no dataset named 'nope'; datasets: pairs");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "gpt-9"}"""), "model", "no model folder named 'gpt-9'");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"learning_rate": -1}}"""),
            "settings.learning_rate", "learning_rate must be positive; got -1");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"lora_rank": "eight"}}"""),
            "settings.lora_rank", "could not be converted to a whole number");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"learning_rat": 0.1}}"""),
            "settings.learning_rat", "'learning_rat' is not a setting this endpoint takes");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"device": "tpu"}}"""),
            "settings.device", "device 'tpu' is not one of auto, cpu, cuda");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"finetuning_type": "ia3"}}"""),
            "settings.finetuning_type", "finetuning_type 'ia3' is not available");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"lora_target": "q_proj,zz_proj"}}"""),
            "settings.lora_target", "unknown target module(s) zz_proj");
        await AssertInvalidAsync(await Start("""{"name": "r", "dataset": "pairs", "model": "qwen2", "settings": {"output_dir": "/tmp/x"}}"""),
            "settings.output_dir", "the studio sets output_dir itself");
        await AssertInvalidAsync(await Start("""{"dataset": "pairs", "model": "qwen2"}"""), "name", "give the run a name");
        Assert.Empty(studio.Services.GetRequiredService<DataStore>().Runs.All());   // none was queued

        var text = await JsonAsync(await client.PostAsync("/api/v1/runs", new StringContent("{}", Encoding.UTF8, "text/plain"), Cancel),
            HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", text.GetProperty("detail").GetString());
        var missing = await JsonAsync(await client.GetAsync("/api/v1/runs/42", Cancel), HttpStatusCode.NotFound);
        Assert.Equal("no run with id 42 (GET /api/v1/runs lists them)", missing.GetProperty("detail").GetString());
        await JsonAsync(await client.PostAsync("/api/v1/runs/42/cancel", null, Cancel), HttpStatusCode.NotFound);
        await AssertInvalidAsync(await client.GetAsync("/api/v1/runs/42/metrics?after=-1", Cancel), "after", "0 or more; got '-1'");
        await AssertInvalidAsync(await client.GetAsync("/api/v1/runs/42/metrics?after=ten", Cancel), "after", "0 or more; got 'ten'");
        await JsonAsync(await client.GetAsync("/api/v1/datasets/nope", Cancel), HttpStatusCode.NotFound);
        await JsonAsync(await client.GetAsync("/api/v1/no/such/thing", Cancel), HttpStatusCode.NotFound);

        // Another web page's script may not upload to the studio (a multipart POST needs no CORS preflight).
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/v1/datasets") { Content = Upload("x.jsonl", Pairs) };
        crossSite.Headers.Add("Origin", "https://evil.example");
        Assert.Equal("origin_not_allowed", (await JsonAsync(await client.SendAsync(crossSite, Cancel), HttpStatusCode.Forbidden)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task With_keys_configured_the_studio_API_needs_a_bearer_key()
    {
        await using var studio = new StudioServer(settings: new Dictionary<string, string> { ["Studio:ApiKeys:0"] = Key });
        using var client = new HttpClient { BaseAddress = studio.Address };

        foreach (var authorization in new[] { null, "Bearer sk-wrong" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/datasets") { Content = Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "casual")) };
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var refused = await client.SendAsync(request, Cancel);
            var problem = await JsonAsync(refused, HttpStatusCode.Unauthorized);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Bearer", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);
            Assert.Equal("invalid_api_key", problem.GetProperty("code").GetString());
            Assert.Contains("Studio:ApiKeys", problem.GetProperty("detail").GetString());
        }
        Assert.Empty(studio.Services.GetRequiredService<DataStore>().Datasets());

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        await JsonAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "casual")), Cancel),
            HttpStatusCode.Created);
        Assert.Single((await JsonAsync(await client.GetAsync("/api/v1/datasets", Cancel), HttpStatusCode.OK)).EnumerateArray());
    }

    [Fact]
    public async Task A_client_on_another_machine_uses_the_API_with_a_key_while_the_pages_stay_local()
    {
        // The studio listens on one of this machine's own non-loopback addresses, so this client is remote to it.
        var address = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == System.Net.NetworkInformation.OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (address is null) Assert.Skip("this machine has no non-loopback IPv4 address to be a remote client from");
        // Served under that address's name, as a studio on a network is (the default AllowedHosts names this machine only).
        await using var studio = new StudioServer(settings: new Dictionary<string, string> { ["Studio:ApiKeys:0"] = Key, ["AllowedHosts"] = address.ToString() },
            listen: address);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{address}:{studio.Address.Port}") };

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/", Cancel)).StatusCode);   // no sign-in configured: pages are local
        await JsonAsync(await client.GetAsync("/api/v1/datasets", Cancel), HttpStatusCode.Unauthorized);
        await JsonAsync(await client.GetAsync("/openapi/v1.json", Cancel), HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        await JsonAsync(await client.PostAsync("/api/v1/datasets", Upload("pairs.jsonl", Pairs, ("input", "formal"), ("output", "casual")), Cancel),
            HttpStatusCode.Created);
        Assert.Single((await JsonAsync(await client.GetAsync("/api/v1/datasets", Cancel), HttpStatusCode.OK)).EnumerateArray());
    }

    [Fact]
    public async Task The_embedded_studio_lists_itself_as_its_one_training_worker()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement workers;
        while ((workers = await JsonAsync(await client.GetAsync("/api/v1/workers", Cancel), HttpStatusCode.OK)).GetArrayLength() == 0
               && DateTime.UtcNow < deadline)
            await Task.Delay(200, Cancel);
        var worker = Assert.Single(workers.EnumerateArray());
        Assert.True(worker.GetProperty("alive").GetBoolean());
        Assert.EndsWith($" ({Environment.ProcessId})", worker.GetProperty("name").GetString());   // the studio's own process
        Assert.Equal(JsonValueKind.Null, worker.GetProperty("run_id").ValueKind);
    }

    [Fact]
    public async Task The_OpenAPI_document_parses_and_describes_every_endpoint()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        string json = await client.GetStringAsync("/openapi/v1.json", Cancel);

        var read = OpenApiDocument.Parse(json, OpenApiConstants.Json, new OpenApiReaderSettings());
        Assert.Empty(read.Diagnostic?.Errors ?? []);
        var document = read.Document!;
        var expected = new[]
        {
            ("/api/v1/datasets", HttpMethod.Get), ("/api/v1/datasets", HttpMethod.Post), ("/api/v1/datasets/{name}", HttpMethod.Get),
            ("/api/v1/runs", HttpMethod.Get), ("/api/v1/runs", HttpMethod.Post), ("/api/v1/runs/{id}", HttpMethod.Get),
            ("/api/v1/runs/{id}/cancel", HttpMethod.Post), ("/api/v1/runs/{id}/metrics", HttpMethod.Get), ("/api/v1/workers", HttpMethod.Get),
            ("/v1/models", HttpMethod.Get), ("/v1/chat/completions", HttpMethod.Post), ("/v1/completions", HttpMethod.Post),
        };
        // Exactly the APIs: no page, hub, login or download route.
        Assert.Equal(expected.Select(e => e.Item1).Distinct().Order(), document.Paths.Keys.Order());
        foreach (var (path, method) in expected)
        {
            var operation = document.Paths[path].Operations![method];
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{method} {path} has no summary");
            Assert.Contains(operation.Responses!, r => r.Key.StartsWith('2') && r.Value.Content?.Values.Any(c => c.Schema is not null) == true);
            if (path.StartsWith("/api/v1", StringComparison.Ordinal))
                Assert.Contains(operation.Responses!, r => r.Key == "400" && r.Value.Content!.ContainsKey("application/problem+json"));
            if (method == HttpMethod.Post && !path.EndsWith("/cancel", StringComparison.Ordinal))
                Assert.NotNull(operation.RequestBody?.Content?.Values.Single().Schema);
        }

        // The upload's form: the file as binary, the mapping's columns beside it.
        var upload = document.Paths["/api/v1/datasets"].Operations![HttpMethod.Post].RequestBody!.Content!["multipart/form-data"].Schema!;
        Assert.Equal("binary", upload.Properties!["file"].Format);
        Assert.Contains("file", upload.Required!);
        Assert.True(new[] { "name", "instruction", "input", "output", "system", "history", "style", "format", "encoding" }.All(upload.Properties.ContainsKey));
        // A run's settings under LLaMA-Factory's keys, with their types.
        var start = document.Paths["/api/v1/runs"].Operations![HttpMethod.Post].RequestBody!.Content!["application/json"].Schema!;
        Assert.Equal(["dataset", "model", "name"], start.Required!.Order());
        var settings = start.Properties!["settings"];
        var train = (settings.OneOf ?? []).Append(settings).Select(s => s is OpenApiSchemaReference r ? r.Target! : s).Single(s => s.Properties?.Count > 0);
        foreach (var (key, type) in new[] { ("learning_rate", JsonSchemaType.Number), ("lora_rank", JsonSchemaType.Integer), ("num_train_epochs", JsonSchemaType.Number),
                     ("max_steps", JsonSchemaType.Integer), ("per_device_train_batch_size", JsonSchemaType.Integer), ("cutoff_len", JsonSchemaType.Integer),
                     ("finetuning_type", JsonSchemaType.String), ("template", JsonSchemaType.String), ("device", JsonSchemaType.String) })
            Assert.True(train.Properties![key].Type!.Value.HasFlag(type), $"{key} is {train.Properties[key].Type}, not {type}");
        var after = document.Paths["/api/v1/runs/{id}/metrics"].Operations![HttpMethod.Get].Parameters!.Single(p => p.Name == "after");
        Assert.Equal((ParameterLocation.Query, JsonSchemaType.Integer), (after.In!.Value, after.Schema!.Type!.Value));
        var metric = document.Components!.Schemas!["StepMetric"];
        Assert.True(new[] { "step", "total_steps", "loss", "learning_rate" }.All(metric.Properties!.ContainsKey));
        Assert.Contains("cancelled", document.Components.Schemas["RunStatus"].Enum!.Select(e => e!.GetValue<string>()));

        var bearer = document.Components.SecuritySchemes!["bearer"];
        Assert.Equal((SecuritySchemeType.Http, "bearer"), (bearer.Type!.Value, bearer.Scheme));
        Assert.Contains(document.Security!, requirement => requirement.Keys.Any(scheme => scheme.Reference.Id == "bearer"));
    }

    [Fact]
    public async Task The_README_upload_command_imports_the_sample_as_written()
    {
        string root = Fixtures.RepositoryRoot();
        string command = File.ReadLines(Path.Combine(root, "README.md"))
            .Single(line => line.StartsWith("curl -F file=@samples/pairs/modern-to-classical.tsv", StringComparison.Ordinal));
        await using var studio = new StudioServer();

        // As written, from the checkout, with only the studio's address changed to this test's port.
        using var curl = Process.Start(new ProcessStartInfo("bash", ["-c", command.Replace("http://localhost:5000", studio.Address.ToString().TrimEnd('/'))])
        {
            WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        string output = await curl.StandardOutput.ReadToEndAsync(Cancel);
        await curl.WaitForExitAsync(Cancel);
        Assert.True(curl.ExitCode == 0, $"curl exited with {curl.ExitCode}: {await curl.StandardError.ReadToEndAsync(Cancel)}");

        var result = JsonDocument.Parse(output).RootElement;
        int pairs = File.ReadLines(Path.Combine(root, "samples", "pairs", "modern-to-classical.tsv")).Count(line => line.Length > 0) - 1;
        Assert.Equal(pairs, result.GetProperty("imported").GetInt64() + result.GetProperty("rejected").GetInt64());
        Assert.Equal(("现代文", "古风"), (result.GetProperty("mapping").GetProperty("input").GetString(), result.GetProperty("mapping").GetProperty("output").GetString()));
        var stored = studio.Services.GetRequiredService<DataStore>().Find("古风");
        Assert.Equal(result.GetProperty("imported").GetInt64(), stored.Rows);
        Assert.True(stored.Rows > 0);
    }
}
