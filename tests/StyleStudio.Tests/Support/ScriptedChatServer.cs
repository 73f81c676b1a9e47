using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StyleStudio.Tests.Support;

/// <summary>
/// An OpenAI-compatible chat-completions server on loopback (Kestrel) whose replies a test scripts: each request gets the
/// script's answer — a reply text (sent in the real <c>chat.completion</c> JSON shape) or an HTTP error in OpenAI's error
/// shape. Every request body is kept, with its Authorization header, and the most requests ever in flight at once.
/// </summary>
sealed class ScriptedChatServer : IAsyncDisposable
{
    /// <summary>What to answer: a reply text with status 200, or another status and an error message.</summary>
    public sealed record Answer(string Text, int Status = 200)
    {
        public static Answer Error(int status, string message) => new(message, status);
    }

    /// <summary>A request as received.</summary>
    public sealed record Request(JsonElement Body, string? Authorization)
    {
        public IReadOnlyList<(string Role, string Content)> Messages => Body.GetProperty("messages").EnumerateArray()
            .Select(m => (m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        public double? Temperature => Body.TryGetProperty("temperature", out var t) ? t.GetDouble() : null;
        public long? Seed => Body.TryGetProperty("seed", out var s) ? s.GetInt64() : null;
    }

    readonly WebApplication app;
    readonly ConcurrentQueue<Request> requests = new();
    int inFlight, mostInFlight;

    /// <param name="script">Answers a request (and its 0-based number among all requests so far).</param>
    /// <param name="delay">How long each answer takes, so concurrency can be seen.</param>
    public ScriptedChatServer(Func<Request, int, Answer> script, TimeSpan? delay = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        int count = -1;
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref mostInFlight, now);
            try
            {
                using var body = await JsonDocument.ParseAsync(context.Request.Body);
                var request = new Request(body.RootElement.Clone(), context.Request.Headers.Authorization.FirstOrDefault());
                requests.Enqueue(request);
                var answer = script(request, Interlocked.Increment(ref count));
                if (delay is { } wait) await Task.Delay(wait);
                if (answer.Status != 200)
                    return Results.Json(new { error = new { message = answer.Text, type = "server_error", code = (string?)null } }, statusCode: answer.Status);
                return Results.Json(new
                {
                    id = $"chatcmpl-{count}", @object = "chat.completion", created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    model = request.Body.GetProperty("model").GetString(),
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = answer.Text }, finish_reason = "stop", logprobs = (object?)null } },
                    usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
                });
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
        app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = new Uri($"http://127.0.0.1:{new Uri(app.Urls.First()).Port}/v1");
    }

    /// <summary>The API's base address (…/v1).</summary>
    public Uri BaseUrl { get; }

    public IReadOnlyList<Request> Requests => requests.ToList();

    public int MostInFlight => Volatile.Read(ref mostInFlight);

    static void InterlockedMax(ref int target, int value)
    {
        for (int seen = Volatile.Read(ref target); value > seen; seen = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
