using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Serving;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The API under a bounded CPU load on loopback: 200 streamed requests, 32 at a time, mixing three PEFT adapters and the
/// base, a quarter of them abandoned mid-stream by their client. Every other request completes with exactly the text it
/// gets alone; afterwards no request holds a cache slot, and a second identical round leaves the process's memory
/// where the first left it.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class ServingLoadTests : IAsyncDisposable
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static readonly string[] Models = ["qwen2", "qwen2:lora-r4", "qwen2:lora-r8", "qwen2:dora-r4"];
    static readonly string[] Texts = ["Write about rain.", "Describe a city at night.", "今天天气很好。", "Tell a short tale.", "Say hello."];

    readonly string models = Directory.CreateTempSubdirectory("load-models-").FullName;
    readonly StudioServer studio;
    readonly HttpClient http;

    public ServingLoadTests()
    {
        AdapterModelsFolder.Create(models);
        studio = new StudioServer(modelsFolder: models, settings: new Dictionary<string, string>
        {
            ["Studio:Api:MaxConcurrent"] = "32",
            ["Studio:Api:MaxQueued"] = "256",
            ["Studio:Serving:Rows"] = "8",
            ["Studio:Serving:SlotTokens"] = "256",
            // As on a GPU: steps queued ahead of their reads, while requests join, end and are abandoned mid-stream.
            ["Studio:Serving:PipelineSteps"] = "true",
        });
        http = new HttpClient { BaseAddress = studio.Address };
    }

    static object Request(int i) => new
    {
        model = Models[i % Models.Length],
        messages = new[] { new { role = "user", content = Texts[i % Texts.Length] } },
        temperature = 0,
        max_tokens = 12 + i % 9,
        stream = true,
    };

    /// <summary>Streams request <paramref name="i"/>; an abandoned one reads its first chunk and leaves.</summary>
    async Task<string?> StreamAsync(int i, bool abandon)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Request(i)) };
        using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, Cancel);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancel));
        var text = new StringBuilder();
        while (await reader.ReadLineAsync(Cancel) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            if (line == "data: [DONE]") return text.ToString();
            if (abandon) return null;      // disposing the response closes the connection mid-stream
            var choice = JsonDocument.Parse(line["data: ".Length..]).RootElement.GetProperty("choices")[0];
            if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)) text.Append(content.GetString());
        }
        throw new InvalidOperationException($"request {i}: the stream ended without [DONE]");
    }

    /// <summary>About a quarter of the requests, spread over every model.</summary>
    static bool Abandoned(int i) => i * 37 % 101 % 4 == 0;

    async Task RoundAsync(IReadOnlyDictionary<int, string> alone)
    {
        var results = new string?[200];
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = Cancel },
            async (i, _) => results[i] = await StreamAsync(i, Abandoned(i)));
        for (int i = 0; i < 200; i++)
            if (!Abandoned(i)) Assert.True(alone[i % 180] == results[i], $"request {i} ({Models[i % Models.Length]}): '{results[i]}' batched, '{alone[i % 180]}' alone");
        await WaitForIdleAsync();
    }

    /// <summary>Until every engine has released its slots (abandoned requests are noticed at the next step).</summary>
    async Task WaitForIdleAsync()
    {
        var host = studio.Services.GetRequiredService<ModelHost>();
        var deadline = Stopwatch.StartNew();
        while (host.Loaded.Any(b => b.Engine.Load is { Running: > 0 } or { Waiting: > 0 }))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "requests still hold cache slots after every client has gone");
            await Task.Delay(20, Cancel);
        }
    }

    [Fact]
    public async Task Two_hundred_streams_32_at_a_time_with_a_quarter_abandoned_equal_each_run_alone_and_leave_nothing_behind()
    {
        // Request i's model, text and length repeat every 180 requests (lcm of 4, 5 and 9): run each once alone.
        var alone = new Dictionary<int, string>();
        for (int i = 0; i < 180; i++) alone[i] = (await StreamAsync(i, abandon: false))!;

        await RoundAsync(alone);
        long afterFirst = CurrentResidentBytes();
        await RoundAsync(alone);
        long afterSecond = CurrentResidentBytes();
        Assert.True(afterSecond - afterFirst < 64L << 20, $"resident memory grew by {(afterSecond - afterFirst) >> 20} MiB over an identical second round");

        var host = studio.Services.GetRequiredService<ModelHost>();
        var engine = Assert.Single(host.Loaded).Engine;
        Assert.Equal(3, engine.Adapters.Count);
        Assert.Equal(0, engine.Load.Running);
    }

    static long CurrentResidentBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        string status = File.ReadAllText("/proc/self/status");
        string line = status.Split('\n').First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await studio.DisposeAsync();
        Directory.Delete(models, recursive: true);
    }
}
