using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Generations per key (or per client address without keys) are limited to MaxConcurrent running plus MaxQueued
/// waiting; beyond that a request gets 429 in OpenAI's shape with Retry-After. A slot is held for the whole request,
/// streamed answer included, and a waiting request whose client leaves frees its place in the queue.
/// </summary>
[Collection(StudioServer.Collection)]
public class GenerationLimitTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static object Chat(int maxTokens, bool stream = false) => new
    {
        model = "qwen2",
        messages = new[] { new { role = "user", content = "Hi." } },
        temperature = 0,
        max_tokens = maxTokens,
        stream,
    };

    static Dictionary<string, string> Limits(int running, int waiting) => new()
    {
        ["Studio:Api:MaxConcurrent"] = running.ToString(),
        ["Studio:Api:MaxQueued"] = waiting.ToString(),
    };

    static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error");
        Assert.Equal(("requests", "rate_limit_exceeded"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Contains("1 generation(s) running", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_streaming_generation_holds_its_slot_until_its_last_event()
    {
        await using var studio = new StudioServer(settings: Limits(running: 1, waiting: 0));
        using var client = new HttpClient { BaseAddress = studio.Address };

        // A stream far larger than the buffers between server and client (four choices with log-probabilities, ~1 MB)
        // read by a client with a tiny receive window: the server's writes wait for the reader, so the generation is
        // still streaming, not merely fast or slow, while the next request arrives.
        var stream = new
        {
            model = "qwen2", messages = new[] { new { role = "user", content = "Hi." } }, temperature = 0, max_tokens = 430,
            stream = true, n = 4, logprobs = true, top_logprobs = 5,
        };
        using var tcp = new TcpClient { ReceiveBufferSize = 1024 };
        await tcp.ConnectAsync(studio.Address.Host, studio.Address.Port, Cancel);
        var network = tcp.GetStream();
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(stream);
        await network.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: {studio.Address.Authority}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n"), Cancel);
        await network.WriteAsync(body, Cancel);
        var reader = new StreamReader(network, Encoding.UTF8);
        Assert.Equal("HTTP/1.1 200 OK", await reader.ReadLineAsync(Cancel));
        while (await reader.ReadLineAsync(Cancel) is { } line && !line.StartsWith("data: {", StringComparison.Ordinal)) { }

        await AssertRateLimitedAsync(await client.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/models", Cancel)).StatusCode);   // only generations count

        string rest = await ReadUntilAsync(reader, "data: [DONE]");
        Assert.True(rest.Split("\n\n").Length > 100, "the held generation streamed its tokens");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel)).StatusCode);
    }

    static async Task<string> ReadUntilAsync(StreamReader reader, string marker)
    {
        var text = new StringBuilder();
        while (await reader.ReadLineAsync(Cancel) is { } line)
        {
            text.Append(line).Append('\n');
            if (line.StartsWith(marker, StringComparison.Ordinal)) break;
        }
        return text.ToString();
    }

    [Fact]
    public async Task A_request_beyond_running_and_waiting_gets_429_and_the_slot_serves_again_once_free()
    {
        await using var studio = new StudioServer(settings: Limits(running: 1, waiting: 0));
        using var client = new HttpClient { BaseAddress = studio.Address };

        // A client still sending its body holds the slot as long as it likes, so the test does not race a generation.
        await using var held = await HeldRequest.StartAsync(studio, Chat(4));
        await AssertRateLimitedAsync(await client.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel));

        Assert.Equal(200, await held.FinishAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel)).StatusCode);
        // An answer a handler returns as a result (here the unknown-address one) is written inside the slot, body and all.
        var unknown = await client.PostAsJsonAsync("/v1/no/such/route", Chat(4), Cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_url", (await unknown.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_waiting_request_whose_client_leaves_frees_its_place_in_the_queue()
    {
        await using var studio = new StudioServer(settings: Limits(running: 1, waiting: 1));
        using var client = new HttpClient { BaseAddress = studio.Address };

        await using var running = await HeldRequest.StartAsync(studio, Chat(4));
        var waiting = await HeldRequest.StartAsync(studio, Chat(4), complete: true);
        Assert.False(await waiting.AnsweredWithinAsync(TimeSpan.FromMilliseconds(500)), "the second request waits for the slot");
        await AssertRateLimitedAsync(await client.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel));   // 1 running, 1 waiting

        await waiting.DisposeAsync();   // its client leaves
        // Once the server has seen it go, the next request takes its place in the queue rather than a 429.
        Task<HttpResponseMessage> next;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            next = client.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel);
            // A refusal comes at once; a request still unanswered after seconds is queued behind the running one.
            if (await Task.WhenAny(next, Task.Delay(3000, Cancel)) != next) break;
            await AssertRateLimitedAsync(await next);
            Assert.True(DateTime.UtcNow < deadline, "the departed request still holds its place in the queue");
            await Task.Delay(100, Cancel);
        }
        Assert.Equal(200, await running.FinishAsync());
        Assert.Equal(HttpStatusCode.OK, (await next).StatusCode);
    }

    [Fact]
    public async Task Each_key_has_its_own_slots()
    {
        await using var studio = new StudioServer(settings: new Dictionary<string, string>(Limits(running: 1, waiting: 0))
        {
            ["Studio:ApiKeys:0"] = "sk-first",
            ["Studio:ApiKeys:1:Key"] = "sk-second",
            ["Studio:ApiKeys:1:MaxConcurrent"] = "2",
        });
        using var first = new HttpClient { BaseAddress = studio.Address };
        first.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-first");
        using var second = new HttpClient { BaseAddress = studio.Address };
        second.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-second");

        await using var held = await HeldRequest.StartAsync(studio, Chat(4), key: "sk-first");
        var refused = await first.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel);
        await AssertRateLimitedAsync(refused);
        // The second key has its own MaxConcurrent of 2: one held, one more served.
        await using var heldSecond = await HeldRequest.StartAsync(studio, Chat(4), key: "sk-second");
        Assert.Equal(HttpStatusCode.OK, (await second.PostAsJsonAsync("/v1/chat/completions", Chat(4), Cancel)).StatusCode);
        Assert.Equal(200, await held.FinishAsync());
        Assert.Equal(200, await heldSecond.FinishAsync());
    }

    /// <summary>
    /// A chat request over its own connection whose body is sent but for its last byte: the server has admitted it and
    /// it holds a slot while its handler waits for the rest. <see cref="FinishAsync"/> sends that byte and returns the
    /// status; disposing closes the connection (the client leaving).
    /// </summary>
    sealed class HeldRequest : IAsyncDisposable
    {
        readonly TcpClient tcp;
        readonly NetworkStream stream;
        readonly byte[] body;

        HeldRequest(TcpClient tcp, byte[] body) => (this.tcp, stream, this.body) = (tcp, tcp.GetStream(), body);

        public static async Task<HeldRequest> StartAsync(StudioServer studio, object chat, string? key = null, bool complete = false)
        {
            var address = studio.Address;
            var slots = studio.Services.GetRequiredService<StyleStudio.Web.Api.GenerationSlots>();
            int before = slots.Held + slots.Waiting;
            var tcp = new TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port, Cancel);
            var held = new HeldRequest(tcp, JsonSerializer.SerializeToUtf8Bytes(chat));
            string authorization = key is null ? "" : $"Authorization: Bearer {key}\r\n";
            await held.stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: {address.Authority}\r\n{authorization}" +
                $"Content-Type: application/json\r\nContent-Length: {held.body.Length}\r\n\r\n"), Cancel);
            await held.stream.WriteAsync(complete ? held.body : held.body[..^1], Cancel);
            // Admission happens as the headers arrive: wait until the server holds a slot for it (or queues it).
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (slots.Held + slots.Waiting <= before)
            {
                Assert.True(DateTime.UtcNow < deadline, "the server never admitted the request");
                await Task.Delay(10, Cancel);
            }
            return held;
        }

        public async Task<bool> AnsweredWithinAsync(TimeSpan wait)
        {
            await Task.Delay(wait, Cancel);
            return tcp.Available > 0;
        }

        public async Task<int> FinishAsync()
        {
            await stream.WriteAsync(body.AsMemory(^1), Cancel);
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            string status = await reader.ReadLineAsync(Cancel) ?? "";   // HTTP/1.1 200 OK
            return int.Parse(status.Split(' ')[1]);
        }

        public ValueTask DisposeAsync()
        {
            tcp.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
