using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Data.Model;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Tests.Support;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Tests.Pairs;

/// <summary>
/// Pair generation as a job in the hosted studio, on the tiny qwen2 fixture: rewriting a corpus through the studio's own
/// OpenAI-compatible API (behind an API key) and a dataset's outputs through the served model directly. Every kept pair's
/// plain side must be what the API answers to the same prompt greedily; every rejection what the filters compute for it.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class PairGenerationJobTests : IAsyncDisposable
{
    const string Key = "sk-pairs-test";
    const int MaxTokens = 16;
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // The tiny model writes junk, so the bounds are wide open: what is kept or turned away is then decided by the
    // checks that do not depend on its quality (empty, echo, repeats), and each reason is compared with the filters' own.
    static readonly PairFilterSettings Open = new() { MinLengthRatio = 0, MaxLengthRatio = 1000, MinSimilarity = 0 };

    static readonly string[] Classical =
        ["今日天朗气清，盍往园中一游？", "吾甚念远方故人。", "此书吾三读之，每读皆有所得。", "吾甚念远方故人。", "山色空蒙雨亦奇。"];

    readonly StudioServer studio = new(settings: new Dictionary<string, string> { ["Studio:ApiKeys:0"] = Key });
    readonly ConcurrentQueue<PairGenerationUpdate> updates = new();
    readonly IDisposable subscription;

    public PairGenerationJobTests() => subscription = Events.Subscribe(updates.Enqueue);

    DataStore Store => studio.Services.GetRequiredService<DataStore>();
    PairGenerations Generations => studio.Services.GetRequiredService<PairGenerations>();
    PairGenerationEvents Events => studio.Services.GetRequiredService<PairGenerationEvents>();
    string Endpoint => new Uri(studio.Address, "/v1").ToString();

    static PairGenerationSettings Settings(PairSourceKind kind, string source, PairRewriter rewriter, string prompt, string target,
        PairFilterSettings? filters = null, int texts = 100) =>
        new(kind, source, rewriter, prompt, Temperature: 0, MaxTokens, texts, filters ?? Open, target, "古风", "请用文言文改写下面的句子。");

    [Fact]
    public async Task A_corpus_rewritten_through_the_studios_own_api_becomes_a_dataset_version_with_the_prompt()
    {
        Store.Corpora.Create("classics", "古风", "classics.txt", Classical, "paragraphs");
        var settings = Settings(PairSourceKind.Corpus, "classics", new PairRewriter("qwen2", Endpoint), PairPrompt.Chinese, "generated");

        var record = await RunAsync(Generations.Start(settings, Key));

        Assert.Equal(PairGenerationStatus.Completed, record.Status);
        var items = Generations.Items(record.Id);
        await AssertItemsAsync(items, Classical, settings);
        Assert.Equal(new PairRejection(PairFilter.DuplicateStyled, 2), items[3].Rejection);   // the repeated text, never sent
        var kept = items.Where(i => i.Kept).ToList();
        Assert.NotEmpty(kept);
        Assert.Equal((kept.Count, items.Count - kept.Count, 0), (record.Kept, record.Rejected, record.Failed));

        var version = Assert.Single(Store.Versions("generated"));
        Assert.Equal(record.DatasetVersion, version.Number);
        Assert.Contains("prompt: " + PairPrompt.Chinese, version.Note);
        Assert.Contains(Endpoint, version.Note);
        var rows = Store.Rows(Store.Find("generated").Id).ToList();
        Assert.Equal(kept.Count, rows.Count);
        foreach (var (row, item) in rows.Zip(kept))
        {
            Assert.Equal((item.Plain, item.Styled), (row.Input, row.Output));
            Assert.Equal(("请用文言文改写下面的句子。", "古风", "qwen2"), (row.Instruction, row.Style, row.Author));
            Assert.Equal(ContentSimilarity.Between(item.Plain!, item.Styled), row.Score!.Value, 9);
        }
        AssertProgress(record);
    }

    [Fact]
    public async Task A_datasets_outputs_rewritten_by_the_served_model_add_a_version_to_an_existing_dataset()
    {
        string[] casual = ["Heads up, the meeting's off.", "Can't make it tonight, sorry!", "Send the report over by tonight?"];
        Store.Create("casual", casual.Select(text => new DatasetRow { Instruction = "Rewrite casually:", Input = "x", Output = text }), "test");
        Store.Create("pairs", [new DatasetRow { Instruction = "Rewrite casually:", Input = "I am unable to attend.", Output = "Can't come." }], "test");
        const string prompt = "Say this plainly:";
        var settings = Settings(PairSourceKind.Dataset, "casual", new PairRewriter("qwen2"), prompt, "pairs", texts: 2)
            with { Style = "casual", Instruction = "Rewrite casually:" };

        var record = await RunAsync(Generations.Start(settings));

        Assert.Equal(PairGenerationStatus.Completed, record.Status);
        Assert.Equal(2, record.Total);   // the first two texts, as asked
        var items = Generations.Items(record.Id);
        await AssertItemsAsync(items, casual[..2], settings);
        var versions = Store.Versions("pairs");
        Assert.Equal([1, 2], versions.Select(v => v.Number));
        Assert.EndsWith("prompt: " + prompt, versions[1].Note);
        var rows = Store.Rows(Store.Find("pairs").Id).ToList();
        Assert.Equal("I am unable to attend.", rows[0].Input);   // the earlier version's rows come first
        Assert.Equal(items.Where(i => i.Kept).Select(i => (i.Plain!, i.Styled)), rows.Skip(1).Select(r => (r.Input!, r.Output)));
        Assert.All(rows.Skip(1), r => Assert.Equal(("casual", "Rewrite casually:"), (r.Style, r.Instruction)));
        AssertProgress(record);
    }

    [Fact]
    public async Task Strict_bounds_turn_the_junk_away_and_no_version_is_written()
    {
        Store.Corpora.Create("classics", "古风", "classics.txt", Classical, "paragraphs");
        var settings = Settings(PairSourceKind.Corpus, "classics", new PairRewriter("qwen2"), PairPrompt.Chinese, "never",
            filters: new PairFilterSettings { MinSimilarity = 1 });

        var record = await RunAsync(Generations.Start(settings));

        Assert.Equal(PairGenerationStatus.Completed, record.Status);
        Assert.Equal(PairGenerationMessages.NothingKept, record.Message);
        Assert.Equal((0, 5), (record.Kept, record.Rejected));
        await AssertItemsAsync(Generations.Items(record.Id), Classical, settings);
        Assert.DoesNotContain(Store.Datasets(), d => d.Name == "never");
    }

    [Fact]
    public async Task An_endpoint_that_refuses_fails_the_generation_naming_it()
    {
        Store.Corpora.Create("classics", "古风", "classics.txt", Classical, "paragraphs");
        string address = Endpoint.TrimEnd('/') + "/chat/completions";

        var wrongKey = await RunAsync(Generations.Start(Settings(PairSourceKind.Corpus, "classics", new PairRewriter("qwen2", Endpoint), PairPrompt.Chinese, "a"), "sk-wrong"));
        Assert.Equal(PairGenerationStatus.Failed, wrongKey.Status);
        Assert.Contains(address, wrongKey.Message);
        Assert.Contains("HTTP 401", wrongKey.Message);
        Assert.Contains("check the API key", wrongKey.Message);

        var unknownModel = await RunAsync(Generations.Start(Settings(PairSourceKind.Corpus, "classics", new PairRewriter("no-such-model", Endpoint), PairPrompt.Chinese, "a"), Key));
        Assert.Equal(PairGenerationStatus.Failed, unknownModel.Status);
        Assert.Contains("does not know model 'no-such-model'", unknownModel.Message);

        string closed = $"http://127.0.0.1:{ClosedPort()}/v1";
        var unreachable = await RunAsync(Generations.Start(Settings(PairSourceKind.Corpus, "classics", new PairRewriter("qwen2", closed), PairPrompt.Chinese, "a")));
        Assert.Equal(PairGenerationStatus.Failed, unreachable.Status);
        Assert.Contains($"no answer from {closed}/chat/completions", unreachable.Message);

        Assert.DoesNotContain(Store.Datasets(), d => d.Name == "a");
        Assert.All([wrongKey, unknownModel, unreachable], r => Assert.Equal(0, r.Kept));
    }

    [Fact]
    public async Task A_text_too_long_for_the_model_fails_alone_and_the_generation_goes_on()
    {
        // 600 characters: past the fixture's 512-token context, for the API (HTTP 400) and the engine alike.
        string tooLong = string.Concat(Enumerable.Repeat("山色空蒙雨亦奇，", 75));
        Store.Corpora.Create("mixed", "古风", "mixed.txt", ["吾甚念远方故人。", tooLong, "山色空蒙雨亦奇。"], "paragraphs");
        Store.Corpora.Create("long", "古风", "long.txt", [tooLong], "paragraphs");

        foreach (var rewriter in new[] { new PairRewriter("qwen2", Endpoint), new PairRewriter("qwen2") })
        {
            var record = await RunAsync(Generations.Start(Settings(PairSourceKind.Corpus, "mixed", rewriter, PairPrompt.Chinese, $"mixed-{rewriter.IsEndpoint}"), Key));
            Assert.Equal(PairGenerationStatus.Completed, record.Status);
            Assert.Equal((3, 1), (record.Done, record.Failed));
            var items = Generations.Items(record.Id);
            Assert.Contains("beyond the model's context of 512 tokens", items[1].Error);
            Assert.Null(items[1].Plain);
            if (rewriter.IsEndpoint) Assert.Contains("HTTP 400 from " + Endpoint.TrimEnd('/') + "/chat/completions", items[1].Error);
            foreach (var rewritten in new[] { items[0], items[2] })
                Assert.Equal((await AskDirectly(PairPrompt.Chinese + "\n" + rewritten.Styled)).Trim(), rewritten.Plain);
            Assert.Equal(record.Kept, Store.Rows(Store.Find($"mixed-{rewriter.IsEndpoint}").Id).Count());

            // With nothing rewritten at all, the rewriter is what failed: the generation says so and writes nothing.
            var none = await RunAsync(Generations.Start(Settings(PairSourceKind.Corpus, "long", rewriter, PairPrompt.Chinese, "never"), Key));
            Assert.Equal(PairGenerationStatus.Failed, none.Status);
            Assert.StartsWith("every rewrite failed; the last: ", none.Message);
            Assert.Contains("beyond the model's context", none.Message);
        }
        Assert.DoesNotContain(Store.Datasets(), d => d.Name == "never");
    }

    [Fact]
    public void Bad_settings_are_refused_before_anything_is_queued()
    {
        Store.Corpora.Create("classics", "古风", "classics.txt", Classical, "paragraphs");
        var good = Settings(PairSourceKind.Corpus, "classics", new PairRewriter("qwen2"), PairPrompt.Chinese, "out");
        Assert.Contains("no corpus named 'nope'", Assert.Throws<ArgumentException>(() => Generations.Start(good with { Source = "nope" })).Message);
        Assert.Contains("no servable model 'nope'", Assert.Throws<ArgumentException>(() => Generations.Start(good with { Rewriter = new("nope") })).Message);
        Assert.Contains("not an http(s) address", Assert.Throws<ArgumentException>(() => Generations.Start(good with { Rewriter = new("m", "ftp://x") })).Message);
        Assert.Contains("write the prompt", Assert.Throws<ArgumentException>(() => Generations.Start(good with { Prompt = " " })).Message);
        Assert.Contains("least similarity", Assert.Throws<ArgumentException>(() => Generations.Start(good with { Filters = new() { MinSimilarity = 2 } })).Message);
        Assert.Contains("path separators", Assert.Throws<ArgumentException>(() => Generations.Start(good with { TargetDataset = "a/b" })).Message);
        Assert.Empty(Generations.All());
    }

    /// <summary>Waits for the generation's end as the page does: by its events (the record is read once it has ended).</summary>
    async Task<PairGenerationRecord> RunAsync(PairGenerationRecord started)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = Events.Subscribe(u =>
        {
            if (u.GenerationId == started.Id && u.Status is PairGenerationStatus.Completed or PairGenerationStatus.Failed or PairGenerationStatus.Cancelled)
                ended.TrySetResult();
        });
        if (Generations.Get(started.Id).Status is PairGenerationStatus.Queued or PairGenerationStatus.Running) await ended.Task.WaitAsync(TimeSpan.FromMinutes(3), Cancel);   // a bound for a failure, not a speed
        return Generations.Get(started.Id);
    }

    /// <summary>Each item's rewrite is what the API answers greedily to the prompt and the text; its verdict is the filters'.</summary>
    async Task AssertItemsAsync(IReadOnlyList<PairItem> items, IReadOnlyList<string> texts, PairGenerationSettings settings)
    {
        Assert.Equal(texts, items.Select(i => i.Styled));
        Assert.Equal(Enumerable.Range(1, texts.Count), items.Select(i => i.Number));
        var filters = new PairFilters(settings.Filters);
        foreach (var item in items)
        {
            Assert.Null(item.Error);
            if (filters.CheckSource(item.Number, item.Styled) is { } repeat)
            {
                Assert.Equal((repeat, (string?)null), (item.Rejection, item.Plain));
                continue;
            }
            string direct = (await AskDirectly(settings.Prompt + "\n" + item.Styled)).Trim();
            Assert.Equal(direct, item.Plain);
            Assert.Equal(filters.Check(item.Number, direct, item.Styled), item.Rejection);
        }
    }

    void AssertProgress(PairGenerationRecord record)
    {
        var mine = updates.Where(u => u.GenerationId == record.Id).ToList();
        var itemUpdates = mine.Where(u => u.Item is not null).ToList();
        Assert.Equal(Enumerable.Range(1, record.Total), itemUpdates.Select(u => u.Done));
        Assert.Equal(Enumerable.Range(1, record.Total), itemUpdates.Select(u => u.Item!.Number));
        Assert.All(itemUpdates, u => Assert.Equal(u.Done, u.Kept + u.Rejected + u.Failed));
        Assert.Equal(PairGenerationStatus.Running, mine[0].Status);
        Assert.Equal((PairGenerationStatus.Completed, record.Kept), (mine[^1].Status, mine[^1].Kept));
    }

    async Task<string> AskDirectly(string message)
    {
        using var http = new HttpClient { BaseAddress = studio.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "qwen2", messages = new[] { new { role = "user", content = message } }, temperature = 0, max_tokens = MaxTokens,
        }, Cancel);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    /// <summary>A loopback port nothing listens on (taken from the system, then let go).</summary>
    static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        subscription.Dispose();
        await studio.DisposeAsync();
    }
}
