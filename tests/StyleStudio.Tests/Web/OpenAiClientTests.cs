using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using static TorchSharp.torch;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using OpenAiChatMessage = OpenAI.Chat.ChatMessage;

namespace StyleStudio.Tests.Web;

/// <summary>
/// The OpenAI-compatible API through real clients — the official OpenAI .NET SDK and Microsoft.Extensions.AI's chat
/// client — and raw HTTP, on a models folder holding the tiny base and three adapters saved by real PEFT. Replies are
/// held to PEFT's own greedy output (Fixtures/serving/reference.json) and to the single-request generator.
/// </summary>
[Collection(StudioServer.Collection)]
public sealed class OpenAiClientTests : IAsyncDisposable
{
    static CancellationToken Cancel => TestContext.Current.CancellationToken;

    readonly string models = Directory.CreateTempSubdirectory("api-models-").FullName;
    readonly StudioServer studio;
    readonly OpenAIClient client;

    public OpenAiClientTests()
    {
        AdapterModelsFolder.Create(models);
        studio = new StudioServer(modelsFolder: models, settings: new Dictionary<string, string> { ["Studio:Serving:SlotTokens"] = "512" });
        client = new OpenAIClient(new ApiKeyCredential("no-key-configured"), new OpenAIClientOptions { Endpoint = new Uri(studio.Address, "/v1") });
    }

    static JsonElement Reference() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "serving", "reference.json"))).RootElement;

    static PretrainedModel LoadBase() =>
        PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));

    static ChatCompletionOptions Greedy(int tokens) => new() { Temperature = 0, MaxOutputTokenCount = tokens };

    [Fact]
    public async Task Concurrent_sdk_requests_for_the_base_and_every_peft_adapter_answer_as_peft_does()
    {
        var reference = Reference();
        using var model = LoadBase();
        var tokenizer = model.RequireTokenizer();
        var messages = reference.GetProperty("messages").EnumerateArray().Select(m => m.GetString()!).ToList();
        int maxTokens = reference.GetProperty("max_new_tokens").GetInt32();
        var ids = new Dictionary<string, string> { ["base"] = "qwen2", ["lora-r4"] = "qwen2:lora-r4", ["lora-r8"] = "qwen2:lora-r8", ["dora-r4"] = "qwen2:dora-r4" };
        var calls = ids.SelectMany(pair => messages.Select((message, i) => (pair.Key, Prompt: i,
            Reply: client.GetChatClient(pair.Value).CompleteChatAsync([new UserChatMessage(message)], Greedy(maxTokens), Cancel)))).ToList();
        foreach (var (key, prompt, reply) in calls)
        {
            ChatCompletion completion = await reply;
            var expected = reference.GetProperty("outputs").GetProperty(key)[prompt].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
            Assert.Equal(tokenizer.Decode(expected, skipSpecialTokens: true), completion.Content[0].Text);
            Assert.Equal(expected.Count, completion.Usage.OutputTokenCount);
            Assert.Equal(reference.GetProperty("prompt_ids")[prompt].GetArrayLength(), completion.Usage.InputTokenCount);
        }

        using var http = new HttpClient { BaseAddress = studio.Address };
        var listed = await http.GetFromJsonAsync<JsonElement>("/v1/models", Cancel);
        var cards = listed.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);
        Assert.Equal("qwen2", cards["qwen2:dora-r4"].GetProperty("owned_by").GetString());
        Assert.Equal("adapter", cards["qwen2:dora-r4"].GetProperty("kind").GetString());
        Assert.DoesNotContain(cards.Keys, id => id.Contains("orphan") || id.Contains("broken"));
    }

    [Fact]
    public async Task Streaming_multi_turn_text_parts_and_logprobs_through_the_sdk()
    {
        using var model = LoadBase();
        var tokenizer = model.RequireTokenizer();
        var chat = client.GetChatClient("qwen2:lora-r8");

        // Streamed text equals the plain reply; the SDK asks for usage in the last chunk.
        var plain = (await chat.CompleteChatAsync([new UserChatMessage("Write about rain.")], Greedy(16), Cancel)).Value;
        var streamed = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Write about rain.")], Greedy(16), Cancel))
        {
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            usage ??= update.Usage;
        }
        Assert.Equal(plain.Content[0].Text, streamed.ToString());
        Assert.Equal(plain.Usage.OutputTokenCount, usage?.OutputTokenCount);

        // Content as a list of text parts reads as the joined text.
        var parts = (await chat.CompleteChatAsync([new UserChatMessage(ChatMessageContentPart.CreateTextPart("Write about "), ChatMessageContentPart.CreateTextPart("rain."))], Greedy(16), Cancel)).Value;
        Assert.Equal(plain.Content[0].Text, parts.Content[0].Text);

        // Multi-turn: laid out as training lays a conversation out, then the model answers the last user turn.
        var conversation = new List<OpenAiChatMessage>
        {
            new SystemChatMessage("Answer briefly."), new UserChatMessage("Hello there."), new AssistantChatMessage("Hi! How can I help?"),
            new UserChatMessage("Tell me about tea."),
        };
        var turns = (await chat.CompleteChatAsync(conversation, Greedy(12), Cancel)).Value;
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, tokenizer, 4096);
        var firstTurn = encoder.Encode(new Conversation([new Turn("Hello there.", "Hi! How can I help?")], "Answer briefly.")).InputIds;
        int[] promptIds = [.. firstTurn, .. tokenizer.Encode(PromptTemplates.Qwen.RenderFollowUpPrompt("Tell me about tea.", tokenizer.EosToken!))];
        Assert.Equal(promptIds.Length, turns.Usage.InputTokenCount);
        StyleStudio.Training.Adapters.PeftAdapter.Load(model.Network, AdapterModelsFolder.Serving("lora-r8"));
        var expected = new TextGenerator(model, [2]).Generate(promptIds, new SamplingOptions { Temperature = 0, MaxNewTokens = 12 }, cancellation: Cancel);
        Assert.Equal(expected.Text, turns.Content[0].Text);

        // Log-probabilities: one per generated token, the chosen one among the top alternatives, all ≤ 0.
        var withLogprobs = (await chat.CompleteChatAsync([new UserChatMessage("Write about rain.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 16, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 }, Cancel)).Value;
        Assert.Equal(withLogprobs.Usage.OutputTokenCount, withLogprobs.ContentTokenLogProbabilities.Count);
        foreach (var token in withLogprobs.ContentTokenLogProbabilities)
        {
            Assert.True(token.LogProbability <= 0);
            Assert.Equal(3, token.TopLogProbabilities.Count);
            Assert.Equal(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 1e-4);   // greedy: the best one
        }
    }

    [Fact]
    public async Task Microsoft_extensions_ai_chat_client_plain_streaming_multi_turn_and_errors()
    {
        IChatClient chat = client.GetChatClient("qwen2:dora-r4").AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 10 };
        var response = await chat.GetResponseAsync([new AiChatMessage(AiChatRole.User, "Describe a river.")], options, Cancel);
        var streamed = new StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync([new AiChatMessage(AiChatRole.User, "Describe a river.")], options, Cancel))
            streamed.Append(update.Text);
        Assert.Equal(response.Text, streamed.ToString());
        Assert.False(string.IsNullOrEmpty(response.Text));

        var history = new List<AiChatMessage> { new(AiChatRole.User, "Describe a river."), new(AiChatRole.Assistant, response.Text), new(AiChatRole.User, "And a lake?") };
        var second = await chat.GetResponseAsync(history, options, Cancel);
        Assert.True(second.Usage?.InputTokenCount > response.Usage?.InputTokenCount);

        var missing = client.GetChatClient("gpt-4o").AsIChatClient();
        var error = await Assert.ThrowsAsync<ClientResultException>(() => missing.GetResponseAsync("hi", cancellationToken: Cancel));
        Assert.Equal(404, error.Status);
        Assert.Contains("qwen2:lora-r4", error.Message);
    }

    [Fact]
    public async Task Raw_http_n_choices_seeds_completions_and_error_shapes()
    {
        using var http = new HttpClient { BaseAddress = studio.Address };
        async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, object body)
        {
            var response = await http.PostAsJsonAsync(path, body, Cancel);
            return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Cancel));
        }
        object Chat(int n, long seed) => new
        {
            model = "qwen2:lora-r4", messages = new[] { new { role = "user", content = "Tell a short tale." } },
            n, seed, temperature = 1.2, max_completion_tokens = 14,
        };

        // n = 2: two choices, choice i seeded with seed + i, so choice 1 repeats alone with seed + 1.
        var (status, two) = await Post("/v1/chat/completions", Chat(2, 40));
        Assert.Equal(HttpStatusCode.OK, status);
        var choices = two.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        var (_, alone) = await Post("/v1/chat/completions", Chat(1, 41));
        Assert.Equal(alone.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
            choices[1].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(alone.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), two.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        // /v1/completions continues raw text (no template), as the single-request generator does.
        using var model = LoadBase();
        var ids = model.RequireTokenizer().Encode("Once upon a time", addSpecialTokens: true);
        var expected = new TextGenerator(model).Generate(ids, new SamplingOptions { Temperature = 0, MaxNewTokens = 10 }, cancellation: Cancel);
        var (completionStatus, completion) = await Post("/v1/completions", new { model = "qwen2", prompt = "Once upon a time", temperature = 0, max_tokens = 10, logprobs = 2 });
        Assert.Equal(HttpStatusCode.OK, completionStatus);
        var first = completion.GetProperty("choices")[0];
        Assert.Equal(expected.Text, first.GetProperty("text").GetString());
        Assert.Equal("text_completion", completion.GetProperty("object").GetString());
        Assert.Equal(completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), first.GetProperty("logprobs").GetProperty("token_logprobs").GetArrayLength());

        var streamed = await http.PostAsJsonAsync("/v1/completions", new { model = "qwen2", prompt = "Once upon a time", temperature = 0, max_tokens = 10, stream = true }, Cancel);
        var events = (await streamed.Content.ReadAsStringAsync(Cancel)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.Equal(expected.Text, string.Concat(events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("text").GetString())));

        // Errors name the field: out-of-range values, unsupported parts, strength beyond 0–2.
        var (badStatus, bad) = await Post("/v1/chat/completions", new { model = "qwen2", messages = new[] { new { role = "user", content = "hi" } }, presence_penalty = 3 });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("presence_penalty", bad.GetProperty("error").GetProperty("param").GetString());
        (badStatus, bad) = await Post("/v1/chat/completions", new
        {
            model = "qwen2", messages = new object[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = "x" } } } } },
        });
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("image_url", bad.GetProperty("error").GetProperty("message").GetString());
        (badStatus, bad) = await Post("/v1/chat/completions", new { model = "qwen2:lora-r4", messages = new[] { new { role = "user", content = "hi" } }, style_strength = 2.5 });
        Assert.Equal("style_strength", bad.GetProperty("error").GetProperty("param").GetString());
    }

    public async ValueTask DisposeAsync()
    {
        await studio.DisposeAsync();
        Directory.Delete(models, recursive: true);
    }
}
