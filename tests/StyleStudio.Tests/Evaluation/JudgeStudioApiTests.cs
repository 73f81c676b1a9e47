using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using StyleStudio.Evaluation.Judging;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// The judge pointed at this studio's own OpenAI-compatible API, serving the tiny real model behind an API key. The tiny
/// model cannot write the JSON verdict, so the whole path — rubric, SDK, key, engine, retries — must end with the row
/// recorded as malformed and its raw replies kept, exactly as the API gives them; never a score guessed from them.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class JudgeStudioApiTests : IAsyncDisposable
{
    const string Key = "sk-judge-test";
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    readonly string models = Directory.CreateTempSubdirectory("judge-models-").FullName;
    readonly StudioServer studio;

    public JudgeStudioApiTests()
    {
        // The fixture model with room for a rubric: its 512-token context is a config number (rotary positions go further).
        string folder = AdapterModelsFolder.CopyFiles(Fixtures.Model("qwen2"), Path.Combine(models, "qwen2"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        config["max_position_embeddings"] = 4096;
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString());
        studio = new StudioServer(modelsFolder: models, settings: new Dictionary<string, string>
        {
            ["Studio:Serving:SlotTokens"] = "4096", ["Studio:ApiKeys:0"] = Key,
        });
    }

    static readonly JudgeItem[] Rows =
    [
        new("今天天气很好，我们去公园散步吧。", "今日天朗气清，吾等往园中散步。", "今日天清气朗，盍往园中一游？"),
        new("请在今天之内把报告发给我。", "请今日内将报告送达。"),
    ];

    OpenAiJudgeClient Client(string? key) =>
        new(new JudgeEndpointOptions { BaseUrl = new Uri(studio.Address, "/v1"), Model = "qwen2", ApiKey = key, TransportRetries = 0 });

    [Fact]
    public async Task The_tiny_model_as_judge_ends_in_recorded_malformed_after_the_retries()
    {
        var settings = new JudgeSettings { Style = "文言文", MaxReplyTokens = 48, Seed = 5 };

        // Without the key the studio refuses, and the judge says so instead of recording two failed rows.
        var refused = await Assert.ThrowsAsync<JudgeEndpointException>(() => new LlmJudge(Client(null)).JudgeAsync(Rows, settings, cancellation: Cancel));
        Assert.Equal(401, refused.Status);
        Assert.Contains("check the API key", refused.Message);

        var report = await new LlmJudge(Client(Key)).JudgeAsync(Rows, settings, cancellation: Cancel);
        Assert.Equal(RubricLanguage.Chinese, report.Language);
        Assert.Equal(2, report.Malformed);
        Assert.Null(report.Means);
        foreach (var (row, item) in report.Rows.Zip(Rows))
        {
            Assert.Equal(JudgeOutcome.Malformed, row.Outcome);
            Assert.Null(row.Scores);
            Assert.Equal(3, row.Replies.Count);
            Assert.NotNull(row.Problem);
            // The first, greedy reply is what the API answers to the rubric for this row, asked directly over HTTP.
            Assert.Equal(await AskDirectly(JudgeRubric.Messages(RubricLanguage.Chinese, settings.Style, item), settings.MaxReplyTokens), row.Replies[0]);
        }
    }

    async Task<string> AskDirectly(IReadOnlyList<JudgeMessage> messages, int maxTokens)
    {
        using var http = new HttpClient { BaseAddress = studio.Address };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "qwen2", messages = messages.Select(m => new { role = m.Role, content = m.Content }), temperature = 0, max_tokens = maxTokens,
        }, Cancel);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await studio.DisposeAsync();
        Directory.Delete(models, recursive: true);
    }
}
