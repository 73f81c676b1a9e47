using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;

namespace StyleStudio.Evaluation.Judging;

/// <summary>
/// What every client of an outside OpenAI-compatible endpoint needs beside the SDK (the judge, pair generation): no bearer
/// token when there is no key, and the server's own words when a request fails.
/// </summary>
public static class OpenAiPipeline
{
    /// <summary>Takes the bearer token out again (the SDK always sends one) for endpoints without keys, rather than sending a made-up one.</summary>
    public static PipelinePolicy NoAuthorization { get; } = new NoAuthorizationPolicy();

    /// <summary>The error's message from an OpenAI-shaped body (<c>{"error": {"message": …}}</c>), else the body's start.</summary>
    public static string ServerMessage(ClientResultException e)
    {
        string body = e.GetRawResponse()?.Content?.ToString() ?? "";
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                    return message.GetString()!;
                if (error.ValueKind == JsonValueKind.String) return error.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        body = body.Trim();
        if (body.Length == 0) return e.GetRawResponse()?.ReasonPhrase is { Length: > 0 } phrase ? phrase : "(no body)";
        return body.Length > 300 ? body[..300] + "…" : body;
    }

    sealed class NoAuthorizationPolicy : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
