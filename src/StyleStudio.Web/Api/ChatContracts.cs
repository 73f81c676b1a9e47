using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StyleStudio.Web.Api;

// OpenAI's wire formats for chat completions, completions and models: the fields StyleStudio honours. Property names
// are snake_case through the serializer options in OpenAiEndpoints; unknown fields are ignored, as OpenAI-compatible
// servers commonly do, but fields that would change the answer and cannot be honoured are refused (see OpenAiRequests).

/// <summary>A chat message; <c>content</c> arrives as a string or as a list of text parts.</summary>
public sealed record ChatMessage(string? Role, [property: JsonConverter(typeof(ContentConverter))] string? Content);

public sealed record StreamOptions(bool IncludeUsage = false);

/// <summary>What chat completions and completions share.</summary>
public abstract record SamplingFields
{
    public string? Model { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public int? N { get; init; }
    public bool Stream { get; init; }
    public StreamOptions? StreamOptions { get; init; }
    [JsonConverter(typeof(StringOrListConverter))] public IReadOnlyList<string>? Stop { get; init; }
    public long? Seed { get; init; }
    public double? PresencePenalty { get; init; }
    public double? FrequencyPenalty { get; init; }
    public string? User { get; init; }
    public JsonElement? LogitBias { get; init; }
    /// <summary>StyleStudio's own: top_k, repetition_penalty, style_strength (0–2) and the prompt template.</summary>
    public int? TopK { get; init; }
    public double? RepetitionPenalty { get; init; }
    public double? StyleStrength { get; init; }
    public string? Template { get; init; }
}

public sealed record ChatRequest : SamplingFields
{
    public IReadOnlyList<ChatMessage>? Messages { get; init; }
    public int? MaxCompletionTokens { get; init; }
    public bool Logprobs { get; init; }
    public int? TopLogprobs { get; init; }
    public JsonElement? Tools { get; init; }
    public JsonElement? ResponseFormat { get; init; }
}

public sealed record CompletionRequest : SamplingFields
{
    [JsonConverter(typeof(StringOrListConverter))] public IReadOnlyList<string>? Prompt { get; init; }
    /// <summary>Legacy completions: how many alternatives' log-probabilities per token (0–5).</summary>
    public int? Logprobs { get; init; }
    public bool Echo { get; init; }
    public string? Suffix { get; init; }
}

public sealed record Usage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record TopLogprob(string Token, float Logprob, IReadOnlyList<byte> Bytes);

public sealed record TokenLogprobInfo(string Token, float Logprob, IReadOnlyList<byte> Bytes, IReadOnlyList<TopLogprob> TopLogprobs);

public sealed record ChoiceLogprobs(IReadOnlyList<TokenLogprobInfo> Content);

public sealed record ChatChoice(int Index, ChatMessage? Message, ChatMessage? Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ChoiceLogprobs? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ChatResponse(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices,
    Usage? Usage, string SystemFingerprint = "stylestudio");

/// <summary>Legacy completions' log-probabilities: parallel lists per token.</summary>
public sealed record CompletionLogprobs(IReadOnlyList<string> Tokens, IReadOnlyList<float> TokenLogprobs,
    IReadOnlyList<Dictionary<string, float>>? TopLogprobs, IReadOnlyList<int> TextOffset);

public sealed record CompletionChoice(string Text, int Index,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CompletionLogprobs? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record CompletionResponse(string Id, string Object, long Created, string Model, IReadOnlyList<CompletionChoice> Choices, Usage? Usage);

/// <summary>A model as /v1/models lists it: OpenAI's fields, then which base an adapter runs on and the style it carries.</summary>
public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy, string Kind, string? Base = null, string? Style = null);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);

/// <summary>OpenAI's <c>stop</c> and <c>prompt</c>: a string or an array of strings.</summary>
sealed class StringOrListConverter : JsonConverter<IReadOnlyList<string>?>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.String => [reader.GetString()!],
            JsonTokenType.Null => null,
            JsonTokenType.StartArray => JsonSerializer.Deserialize<List<string>>(ref reader, options),
            _ => throw new JsonException("expected a string or an array of strings"),
        };

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string>? value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}

/// <summary>A message's <c>content</c>: a string, or a list of parts of which StyleStudio reads the text ones.</summary>
sealed class ContentConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.String) return reader.GetString();
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("content must be a string or a list of text parts");
        var text = new StringBuilder();
        using var parts = JsonDocument.ParseValue(ref reader);
        foreach (var part in parts.RootElement.EnumerateArray())
        {
            string kind = part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(none)";
            if (kind != "text" || !part.TryGetProperty("text", out var value) || value.ValueKind != JsonValueKind.String)
                throw new JsonException($"content parts of type '{kind}' are not supported: StyleStudio's models read text parts ({{\"type\": \"text\", \"text\": \"...\"}})");
            text.Append(value.GetString());
        }
        return text.ToString();
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
