using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>The OpenAI-compatible endpoint over real HTTP: models listed, completions equal the generator's text with
/// and without streaming, bad requests answered with OpenAI-style errors that say what is wrong.</summary>
[Collection(StudioServer.Collection)]
public class OpenAiApiTests
{
    const string Input = "The meeting has been cancelled.";

    static object Request(bool stream) => new
    {
        model = "qwen2",
        messages = new[] { new { role = "user", content = Input } },
        temperature = 0,
        max_tokens = 12,
        stream,
    };

    [Fact]
    public async Task Chat_completions_return_the_generators_text_plain_and_streamed()
    {
        var expected = GreedyRewrites.Of([Input], maxNewTokens: 12)[0];
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        var cancel = TestContext.Current.CancellationToken;

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", cancel);
        Assert.Contains("qwen2", models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        var plain = await client.PostAsJsonAsync("/v1/chat/completions", Request(stream: false), cancel);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        var body = await plain.Content.ReadFromJsonAsync<JsonElement>(cancel);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(expected, choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal(body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() + body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            body.GetProperty("usage").GetProperty("total_tokens").GetInt32());

        using var streamed = await client.PostAsJsonAsync("/v1/chat/completions", Request(stream: true), cancel);
        Assert.Equal("text/event-stream", streamed.Content.Headers.ContentType?.MediaType);
        var events = (await streamed.Content.ReadAsStringAsync(cancel)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0]).ToList();
        var text = new StringBuilder();
        foreach (var chunk in chunks)
            if (chunk.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content)) text.Append(content.GetString());
        Assert.Equal(expected, text.ToString());
        Assert.Equal(choice.GetProperty("finish_reason").GetString(), chunks[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Bad_requests_get_specific_openai_style_errors()
    {
        await using var studio = new StudioServer();
        using var client = new HttpClient { BaseAddress = studio.Address };
        var cancel = TestContext.Current.CancellationToken;
        async Task<(HttpStatusCode, JsonElement)> Post(object body)
        {
            var response = await client.PostAsJsonAsync("/v1/chat/completions", body, cancel);
            return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonElement>(cancel)).GetProperty("error"));
        }

        var (status, error) = await Post(new { model = "gpt-4", messages = new[] { new { role = "user", content = "hi" } } });
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("qwen2", error.GetProperty("message").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());

        (status, error) = await Post(new { model = "qwen2", messages = new[] { new { role = "user", content = "hi" } }, temperature = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("temperature", error.GetProperty("param").GetString());

        (status, error) = await Post(new
        {
            model = "qwen2",
            messages = new[] { new { role = "user", content = "a" }, new { role = "user", content = "b" } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("messages", error.GetProperty("param").GetString());
        Assert.Contains("alternate", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_model_folder_that_cannot_be_loaded_gets_an_error_naming_the_file()
    {
        string models = Directory.CreateTempSubdirectory("studio-models-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(models, "broken"));
            File.WriteAllText(Path.Combine(models, "broken", "config.json"), "{ \"architectures\": [\"Qwen2ForCausalLM\"], ");
            await using var studio = new StudioServer(modelsFolder: models);
            using var client = new HttpClient { BaseAddress = studio.Address };
            var response = await client.PostAsJsonAsync("/v1/chat/completions",
                new { model = "broken", messages = new[] { new { role = "user", content = "hi" } } }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error");
            Assert.Contains("config.json", error.GetProperty("message").GetString());
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }
}
