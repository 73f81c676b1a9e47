using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Training.Generation;

namespace StyleStudio.Web.Api;

/// <summary>A request the API refuses, with the OpenAI field it is about.</summary>
public sealed class ApiRequestException(string message, string? param, string code = "invalid_value") : Exception(message)
{
    public string? Param { get; } = param;
    public string Code { get; } = code;
}

/// <summary>
/// OpenAI request bodies turned into the generation service's requests, each field checked against OpenAI's range and
/// named as the client sent it when it is wrong.
/// </summary>
static class OpenAiRequests
{
    /// <summary>Choices per request at most: each is a request in the batch.</summary>
    public const int MaxChoices = 8;

    /// <param name="presets">The sampling of the style the request names, for the fields it leaves out (OpenAI's defaults otherwise).</param>
    public static GenerationRequest Chat(ChatRequest body, StylePresets? presets = null)
    {
        if (body.Messages is not { Count: > 0 } messages) throw new ApiRequestException("messages must hold at least one message", "messages", "missing_required_parameter");
        for (int i = 0; i < messages.Count; i++)
            if (messages[i].Role is null || messages[i].Content is null)
                throw new ApiRequestException($"messages[{i}] needs a role and a content", $"messages[{i}]");
        if (body.Tools is { ValueKind: System.Text.Json.JsonValueKind.Array } tools && tools.GetArrayLength() > 0)
            throw new ApiRequestException("tools are not supported: StyleStudio's models rewrite text", "tools", "unsupported_parameter");
        if (body.ResponseFormat is { ValueKind: System.Text.Json.JsonValueKind.Object } format
            && format.TryGetProperty("type", out var type) && type.GetString() != "text")
            throw new ApiRequestException($"response_format '{type.GetString()}' is not supported; only text", "response_format", "unsupported_parameter");
        if (body.TopLogprobs is { } top && (top < 0 || top > 20)) throw new ApiRequestException($"top_logprobs must be between 0 and 20; got {top}", "top_logprobs");
        if (body.TopLogprobs is not null && !body.Logprobs) throw new ApiRequestException("top_logprobs needs logprobs: true", "top_logprobs");
        int maxTokens = body.MaxCompletionTokens ?? body.MaxTokens ?? presets?.MaxNewTokens ?? 256;
        return Common(body, maxTokens, body.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens", presets) with
        {
            Messages = messages.Select(m => new ChatTurn(m.Role!, m.Content!)).ToList(),
            TopLogprobs = body.Logprobs ? body.TopLogprobs ?? 0 : -1,
        };
    }

    public static GenerationRequest Completion(CompletionRequest body, string prompt)
    {
        if (body.Echo) throw new ApiRequestException("echo is not supported", "echo", "unsupported_parameter");
        if (!string.IsNullOrEmpty(body.Suffix)) throw new ApiRequestException("suffix (insertion) is not supported", "suffix", "unsupported_parameter");
        if (body.Logprobs is { } top && (top < 0 || top > 5)) throw new ApiRequestException($"logprobs must be between 0 and 5; got {top}", "logprobs");
        // OpenAI's completions default to 16 new tokens.
        return Common(body, body.MaxTokens ?? 16, "max_tokens") with { Prompt = prompt, TopLogprobs = body.Logprobs ?? -1 };
    }

    static GenerationRequest Common(SamplingFields body, int maxTokens, string maxTokensName, StylePresets? presets = null)
    {
        if (string.IsNullOrWhiteSpace(body.Model)) throw new ApiRequestException("model is required", "model", "missing_required_parameter");
        Range(body.Temperature, 0, 2, "temperature");
        Range(body.PresencePenalty, -2, 2, "presence_penalty");
        Range(body.FrequencyPenalty, -2, 2, "frequency_penalty");
        Range(body.StyleStrength, 0, 2, "style_strength");
        if (body.TopP is { } p && (p <= 0 || p > 1 || double.IsNaN(p))) throw new ApiRequestException($"top_p must be greater than 0 and at most 1; got {p}", "top_p");
        if (maxTokens < 1) throw new ApiRequestException($"{maxTokensName} must be at least 1; got {maxTokens}", maxTokensName);
        if (body.N is { } n && (n < 1 || n > MaxChoices)) throw new ApiRequestException($"n must be between 1 and {MaxChoices}; got {n}", "n");
        if (body.Stop is { Count: > 4 }) throw new ApiRequestException("stop takes at most 4 sequences", "stop");
        if (body.Stop?.Any(string.IsNullOrEmpty) == true) throw new ApiRequestException("stop sequences must not be empty", "stop");
        if (body.TopK is < 0) throw new ApiRequestException($"top_k must be 0 (off) or positive; got {body.TopK}", "top_k");
        if (body.RepetitionPenalty is { } r && (r <= 0 || double.IsNaN(r))) throw new ApiRequestException($"repetition_penalty must be positive; got {r}", "repetition_penalty");
        if (body.LogitBias is { ValueKind: System.Text.Json.JsonValueKind.Object } bias && bias.EnumerateObject().Any())
            throw new ApiRequestException("logit_bias is not supported", "logit_bias", "unsupported_parameter");
        return new GenerationRequest
        {
            Model = body.Model,
            Template = body.Template,
            Sampling = new SamplingOptions
            {
                // OpenAI's default temperature is 1.
                Temperature = body.Temperature ?? presets?.Temperature ?? 1.0,
                TopP = body.TopP ?? presets?.TopP ?? 1.0,
                TopK = body.TopK ?? 0,
                RepetitionPenalty = body.RepetitionPenalty ?? 1.0,
                MaxNewTokens = maxTokens,
                Seed = body.Seed,
                StopStrings = body.Stop ?? [],
            },
            StyleStrength = body.StyleStrength ?? presets?.Strength ?? 1.0,
            PresencePenalty = body.PresencePenalty ?? 0,
            FrequencyPenalty = body.FrequencyPenalty ?? 0,
        };
    }

    static void Range(double? value, double min, double max, string name)
    {
        if (value is { } v && (v < min || v > max || double.IsNaN(v)))
            throw new ApiRequestException($"{name} must be between {min} and {max}; got {v}", name);
    }
}
