using System.Text.Json.Serialization;

namespace StyleStudio.Web.Api;

// OpenAI's chat-completions wire format, the fields StyleStudio honours (others are ignored, as OpenAI-compatible
// servers commonly do). Property names are snake_case through the serializer options in OpenAiEndpoints.

public sealed record ChatMessage(string Role, string Content);

public sealed record ChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    double? Temperature = null,
    double? TopP = null,
    int? MaxTokens = null,
    bool Stream = false,
    [property: JsonConverter(typeof(StopConverter))] IReadOnlyList<string>? Stop = null,
    long? Seed = null,
    /// <summary>StyleStudio's own: top_k, repetition_penalty and, for base models, the prompt template.</summary>
    int? TopK = null,
    double? RepetitionPenalty = null,
    string? Template = null);

public sealed record ChatChoice(int Index, ChatMessage? Message, ChatMessage? Delta, string? FinishReason);

public sealed record ChatUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record ChatResponse(string Id, string Object, long Created, string Model, IReadOnlyList<ChatChoice> Choices, ChatUsage? Usage);

public sealed record ModelCard(string Id, string Object, long Created, string OwnedBy);

public sealed record ModelList(string Object, IReadOnlyList<ModelCard> Data);


/// <summary>OpenAI's <c>stop</c> is a string or an array of strings.</summary>
sealed class StopConverter : JsonConverter<IReadOnlyList<string>?>
{
    public override IReadOnlyList<string>? Read(ref System.Text.Json.Utf8JsonReader reader, Type type, System.Text.Json.JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            System.Text.Json.JsonTokenType.String => [reader.GetString()!],
            System.Text.Json.JsonTokenType.Null => null,
            _ => System.Text.Json.JsonSerializer.Deserialize<List<string>>(ref reader, options),
        };

    public override void Write(System.Text.Json.Utf8JsonWriter writer, IReadOnlyList<string>? value, System.Text.Json.JsonSerializerOptions options) =>
        System.Text.Json.JsonSerializer.Serialize(writer, value, options);
}
