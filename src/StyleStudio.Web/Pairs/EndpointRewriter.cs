using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using StyleStudio.Evaluation.Judging;
using OpenAI;
using OpenAI.Chat;

namespace StyleStudio.Web.Pairs;

/// <summary>
/// Any OpenAI-compatible chat-completions endpoint (this studio's own <c>/v1</c> included), through the official OpenAI
/// .NET SDK. A refusal of every request — wrong key (401, 403), unknown model or address (404), nothing listening — is
/// fatal and names the endpoint; any other failed request loses only its text.
/// </summary>
public sealed class EndpointRewriter : IPairRewriter
{
    readonly ChatClient chat;
    readonly string prompt, model, address;
    readonly ChatCompletionOptions options;

    /// <param name="baseUrl">The part before <c>/chat/completions</c>, e.g. <c>http://localhost:5000/v1</c>.</param>
    /// <param name="apiKey">Sent as a bearer token; none at all when null (the SDK would otherwise send one).</param>
    public EndpointRewriter(Uri baseUrl, string model, string? apiKey, string prompt, double temperature, int maxTokens)
    {
        this.prompt = prompt;
        this.model = model;
        address = $"{baseUrl.AbsoluteUri.TrimEnd('/')}/chat/completions";
        var client = new OpenAIClientOptions { Endpoint = baseUrl, NetworkTimeout = TimeSpan.FromMinutes(2), RetryPolicy = new ClientRetryPolicy(1) };
        if (apiKey is null) client.AddPolicy(OpenAiPipeline.NoAuthorization, PipelinePosition.BeforeTransport);
        chat = new ChatClient(model, new ApiKeyCredential(apiKey ?? "none"), client);
        options = new ChatCompletionOptions { Temperature = (float)temperature, MaxOutputTokenCount = maxTokens };
    }

    public async Task<string> RewriteAsync(string styled, CancellationToken cancellation)
    {
        try
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(PairPrompt.Message(prompt, styled))], options, cancellation);
            return string.Concat(completion.Content.Select(part => part.Text)).Trim();
        }
        catch (ClientResultException e)
        {
            throw Failure(e);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0 && e.InnerExceptions[^1] is ClientResultException last)
        {
            throw Failure(last);   // the SDK's retries all failed; the last says why
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new PairRewriterException($"no answer from {address} within 2 minutes", fatal: false, e);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new PairRewriterException($"{address} answered with something that is not a chat completion: {e.Message}", fatal: false, e);
        }
    }

    PairRewriterException Failure(ClientResultException e) => e.Status switch
    {
        401 or 403 => new($"{address} refused the request (HTTP {e.Status}): {OpenAiPipeline.ServerMessage(e)} — check the API key", fatal: true, e),
        404 => new($"{address} does not know model '{model}' or the address (HTTP 404): {OpenAiPipeline.ServerMessage(e)} — check the address and the model name", fatal: true, e),
        0 => new($"no answer from {address}: {(e.InnerException ?? e).Message} — is the endpoint running?", fatal: true, e),
        _ => new($"HTTP {e.Status} from {address}: {OpenAiPipeline.ServerMessage(e)}", fatal: false, e),
    };
}
