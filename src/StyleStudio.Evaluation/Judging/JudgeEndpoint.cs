using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace StyleStudio.Evaluation.Judging;

/// <summary>Where the judge is: any OpenAI-compatible chat-completions endpoint, this studio's own API included.</summary>
public sealed record JudgeEndpointOptions
{
    /// <summary>The API's base address, the part before <c>/chat/completions</c> (e.g. <c>http://localhost:5000/v1</c>).</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The model the endpoint should judge with (for this studio: a base, <c>run-N</c> or <c>BASE:ADAPTER</c>).</summary>
    public required string Model { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer KEY</c>. Defaults to none: no Authorization header at all.</summary>
    public string? ApiKey { get; init; }

    /// <summary>How long one request may take. Defaults to two minutes.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of one request after 408, 429, 5xx or a dropped connection, with the SDK's back-off. Defaults to 2.</summary>
    public int TransportRetries { get; init; } = 2;

    /// <summary>Ask for <c>response_format: json_object</c> (servers that support it then only answer JSON). Defaults to off,
    /// since not every server takes it (this studio's does not).</summary>
    public bool JsonMode { get; init; }

    /// <summary>The endpoint and model, as the cache knows this judge: the base address without a trailing slash.</summary>
    public string Identity => $"{BaseUrl.AbsoluteUri.TrimEnd('/')}|{Model}";

    /// <exception cref="ArgumentException">A relative or non-HTTP address, an empty model, or a negative retry count.</exception>
    public void Validate()
    {
        if (!BaseUrl.IsAbsoluteUri || BaseUrl.Scheme is not ("http" or "https"))
            throw new ArgumentException($"judge endpoint '{BaseUrl}' must be an absolute http(s) address, e.g. http://localhost:5000/v1");
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("name the judge's model (e.g. gpt-4o, or a model id of this studio)");
        if (TransportRetries < 0) throw new ArgumentException($"transport retries must be 0 or more; got {TransportRetries}");
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"the judge's timeout must be positive; got {Timeout}");
    }
}

/// <summary>How one judge request samples.</summary>
public sealed record JudgeSampling(double Temperature, long? Seed, int MaxTokens);

/// <summary>A request to the judge that got no usable answer: refused (HTTP status), timed out, or never connected.</summary>
public sealed class JudgeTransportException(string message, int? status, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status the endpoint answered with; null when it never answered.</summary>
    public int? Status { get; } = status;
}

/// <summary>
/// The endpoint refuses every request of this kind — a wrong or missing key (401, 403) or an unknown address or model
/// (404) — so judging stops at once instead of recording the same refusal for every row.
/// </summary>
public sealed class JudgeEndpointException(string message, int status, Exception? inner = null) : InvalidOperationException(message, inner)
{
    public int Status { get; } = status;
}

/// <summary>
/// Sends judge conversations to an OpenAI-compatible endpoint through the official OpenAI .NET SDK and returns the reply's
/// text. Errors become <see cref="JudgeEndpointException"/> (refused for good) or <see cref="JudgeTransportException"/>
/// (this request failed), each naming the status, the address and the server's own message.
/// </summary>
public sealed class OpenAiJudgeClient
{
    readonly ChatClient chat;

    public OpenAiJudgeClient(JudgeEndpointOptions options)
    {
        options.Validate();
        Options = options;
        var client = new OpenAIClientOptions
        {
            Endpoint = options.BaseUrl,
            NetworkTimeout = options.Timeout,
            RetryPolicy = new ClientRetryPolicy(options.TransportRetries),
        };
        // The SDK always sends a bearer token; an endpoint without keys gets none rather than a made-up one.
        if (options.ApiKey is null) client.AddPolicy(OpenAiPipeline.NoAuthorization, PipelinePosition.BeforeTransport);
        chat = new ChatClient(options.Model, new ApiKeyCredential(options.ApiKey ?? "none"), client);
    }

    public JudgeEndpointOptions Options { get; }

    string Address => $"{Options.BaseUrl.AbsoluteUri.TrimEnd('/')}/chat/completions";

    /// <summary>The reply's text ("" when the reply has no text).</summary>
    /// <exception cref="JudgeEndpointException">401, 403 or 404.</exception>
    /// <exception cref="JudgeTransportException">Any other failed request.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled.</exception>
    public async Task<string> CompleteAsync(IReadOnlyList<JudgeMessage> messages, JudgeSampling sampling, CancellationToken cancellation)
    {
        var options = new ChatCompletionOptions
        {
            Temperature = (float)sampling.Temperature,
            MaxOutputTokenCount = sampling.MaxTokens,
        };
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; the chat-completions API has taken it for years.
        if (sampling.Seed is { } seed) options.Seed = seed;
#pragma warning restore OPENAI001
        if (Options.JsonMode) options.ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat();
        try
        {
            ChatCompletion completion = await chat.CompleteChatAsync(messages.Select(ToSdk), options, cancellation);
            return string.Concat(completion.Content.Select(part => part.Text));
        }
        catch (ClientResultException e)
        {
            throw Failure(e, tries: 1);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0 && e.InnerExceptions[^1] is ClientResultException last)
        {
            throw Failure(last, tries: e.InnerExceptions.Count);   // the SDK's retries all failed; the last says why
        }
        catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new JudgeTransportException($"no answer from {Address} within {Options.Timeout.TotalSeconds:0.#} s", null, e);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new JudgeTransportException($"{Address} answered with something that is not a chat completion: {e.Message}", 200, e);
        }
    }

    Exception Failure(ClientResultException e, int tries)
    {
        string after = tries > 1 ? $" (after {tries} tries)" : "";
        if (e.Status is 401 or 403 or 404)
            return new JudgeEndpointException($"the judge endpoint refused the request: HTTP {e.Status} from {Address} (model '{Options.Model}'): " +
                OpenAiPipeline.ServerMessage(e) + (e.Status is 401 or 403 ? " — check the API key" : " — check the address and the model name"), e.Status, e);
        if (e.Status != 0) return new JudgeTransportException($"HTTP {e.Status} from {Address}{after}: {OpenAiPipeline.ServerMessage(e)}", e.Status, e);
        return new JudgeTransportException($"no answer from {Address}{after}: {(e.InnerException ?? e).Message}", null, e);
    }

    static ChatMessage ToSdk(JudgeMessage message) => message.Role switch
    {
        "system" => new SystemChatMessage(message.Content),
        "user" => new UserChatMessage(message.Content),
        "assistant" => new AssistantChatMessage(message.Content),
        var role => throw new ArgumentException($"unknown chat role '{role}'"),
    };
}
