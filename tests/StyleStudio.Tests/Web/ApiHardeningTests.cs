using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The API probed as a hostile page or a careless client would: every refusal comes before any work, in OpenAI's
/// error shape (message, type, param, code), and the studio keeps answering.
/// </summary>
[Collection(StudioServer.Collection)]
public class ApiHardeningTests
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    static object Chat(string content, int maxTokens = 8) => new
    {
        model = "qwen2",
        messages = new[] { new { role = "user", content } },
        temperature = 0,
        max_tokens = maxTokens,
    };

    static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error");
        foreach (var field in new[] { "message", "type", "param", "code" }) Assert.True(error.TryGetProperty(field, out _), $"error lacks '{field}'");
        return error;
    }

    [Fact]
    public async Task Requests_without_a_model_too_large_or_beyond_the_context_are_refused_with_the_reason()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };

        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "hi" } } }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("missing_required_parameter", error.GetProperty("code").GetString());

        response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "nope", messages = new[] { new { role = "user", content = "hi" } } }, Cancel);
        error = await ErrorOf(response);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(("invalid_request_error", "model_not_found"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));

        // 10 MB: refused from its declared length before the body is sent (the client waits for 100-continue), and
        // again when sent without a length (chunked): the server stops reading at the limit and answers 413.
        byte[] huge = JsonSerializer.SerializeToUtf8Bytes(Chat(new string('长', (10 << 20) / 3)));
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(huge) })
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.ExpectContinue = true;
            response = await client.SendAsync(request, Cancel);
        }
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", (await ErrorOf(response)).GetProperty("code").GetString());
        Assert.StartsWith("HTTP/1.1 413", await PostChunkedAsync(studio.Address, "/v1/chat/completions", huge));

        // The tiny model's context is 512 tokens.
        response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("hi", maxTokens: int.MaxValue), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        error = await ErrorOf(response);
        Assert.Equal(("max_tokens", "context_length_exceeded"), (error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("beyond the model's context of 512 tokens", error.GetProperty("message").GetString());
        response = await client.PostAsJsonAsync("/v1/chat/completions", Chat(string.Join(' ', Enumerable.Repeat("word", 2000))), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("context_length_exceeded", (await ErrorOf(response)).GetProperty("code").GetString());

        response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "qwen2", messages = new[] { new { role = "user", content = "hi" } }, top_p = 5,
        }, Cancel);
        error = await ErrorOf(response);
        Assert.Equal("top_p", error.GetProperty("param").GetString());
        Assert.Equal("top_p must be greater than 0 and at most 1; got 5", error.GetProperty("message").GetString());

        response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "qwen2", messages = new[] { new { role = "user", content = "hi" } }, temperature = 2.5,
        }, Cancel);
        Assert.Equal("temperature", (await ErrorOf(response)).GetProperty("param").GetString());

        response = await client.DeleteAsync("/v1/no/such/route", Cancel);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("unknown_url", (await ErrorOf(response)).GetProperty("code").GetString());

        // A known address with the wrong method: 405, the method it takes, and the error object.
        response = await client.GetAsync("/v1/chat/completions", Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["POST"], response.Content.Headers.Allow);
        Assert.Equal("method_not_allowed", (await ErrorOf(response)).GetProperty("code").GetString());
        response = await client.DeleteAsync("/v1/models", Cancel);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);

        // Still serving.
        response = await client.PostAsJsonAsync("/v1/chat/completions", Chat("hi"), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A chunked POST over a raw connection; the server may close it before the whole body is sent, so write
    /// failures are expected, and the answer is read whatever happened. Returns the response as text.</summary>
    static async Task<string> PostChunkedAsync(Uri address, string path, byte[] body)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Cancel);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST {path} HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"), Cancel);
            foreach (var chunk in body.Chunk(64 << 10))
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n"), Cancel);
                await stream.WriteAsync(chunk, Cancel);
                await stream.WriteAsync("\r\n"u8.ToArray(), Cancel);
            }
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), Cancel);
        }
        catch (IOException)
        {
            // The server answered and closed before taking the rest: the answer is still there to read.
        }
        var buffer = new byte[4096];
        int read = await stream.ReadAsync(buffer, Cancel);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    [Fact]
    public async Task Cross_site_requests_and_foreign_host_names_are_refused()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };

        // What a page on another site can send without a CORS preflight: a text/plain POST carrying its Origin.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(Chat("hi")), Encoding.UTF8, "text/plain"),
        })
        {
            request.Headers.Add("Origin", "https://evil.example");
            var response = await client.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("origin_not_allowed", (await ErrorOf(response)).GetProperty("code").GetString());
        }
        var plain = await client.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(Chat("hi")), Encoding.UTF8, "text/plain"), Cancel);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.StatusCode);

        // The studio's own origin is fine.
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(Chat("hi")) })
        {
            request.Headers.Add("Origin", studio.Address.GetLeftPart(UriPartial.Authority));
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request, Cancel)).StatusCode);
        }

        // DNS rebinding: a page at evil.example whose name resolves to this machine sends its own Host.
        foreach (var path in new[] { "/", "/v1/models" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Host = "evil.example";
            Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(request, Cancel)).StatusCode);
        }
    }

    [Fact]
    public async Task Twenty_concurrent_mixed_length_prompts_are_all_answered()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            client.PostAsJsonAsync("/v1/chat/completions", Chat(string.Join(' ', Enumerable.Repeat("词", 1 + i * 3)), maxTokens: 4 + i % 5), Cancel)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }
}
