using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using StyleStudio.Serving;
using StyleStudio.Web.Api.Studio;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Serving;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Web.Api;

/// <summary>
/// The OpenAI-compatible API: <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c> and <c>POST /v1/completions</c>, plain
/// or streamed, over the <see cref="GenerationService"/>. Model ids: a base folder's name, <c>run-N</c> (run N's adapter
/// on its base, prompted through its training template) or <c>BASE:ADAPTER</c> (a PEFT adapter folder in the models
/// folder). Requests for different adapters of one base decode in the same batch.
/// </summary>
public static class OpenAiEndpoints
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNameCaseInsensitive = true,
    };

    public static void MapOpenAi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter<ApiRequestGuard>();
        api.AddEndpointFilter<ApiAccessFilter>();
        // Described in the OpenAPI document (/openapi/v1.json) beside the studio API; handlers write their own JSON, so
        // the request and response types are named here.
        api.WithTags("OpenAI-compatible");
        api.MapGet("/models", (GenerationService service) => Results.Json(new ModelList("list", Cards(service)), Json))
            .WithName("ListModels").WithSummary("List the models and trained styles to generate with")
            .WithDescription("Bases by folder name, run-N for run N's adapter on its base, BASE:ADAPTER for a PEFT adapter folder.")
            .Produces<ModelList>();
        api.MapPost("/chat/completions", ChatAsync).WithName("CreateChatCompletion").WithSummary("Rewrite in a style: a chat completion")
            .WithDescription("OpenAI's chat completions, plain or streamed (text/event-stream with stream: true). Errors come in OpenAI's error shape.")
            .DescribesJsonBody<ChatRequest>().Produces<ChatResponse>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        api.MapPost("/completions", CompletionsAsync).WithName("CreateCompletion").WithSummary("A text completion")
            .WithDescription("OpenAI's legacy completions, plain or streamed. Errors come in OpenAI's error shape.")
            .DescribesJsonBody<CompletionRequest>().Produces<CompletionResponse>().Produces<ErrorBody>(StatusCodes.Status400BadRequest);
        // Any other /v1 request answers in OpenAI's error shape, so clients show the reason rather than an HTML page: a
        // known address asked with the wrong method gets 405 and the method it takes, anything else 404.
        api.MapFallback("{**path}", (HttpContext http) =>
        {
            if (Routes.TryGetValue(http.Request.Path.Value?.TrimEnd('/') ?? "", out var method))
            {
                http.Response.Headers.Allow = method;
                return ApiErrors.Result(405, $"{http.Request.Path} takes {method}, not {http.Request.Method}", null, "method_not_allowed");
            }
            return ApiErrors.Result(404,
                $"there is no {http.Request.Method} {http.Request.Path} here; this server offers GET /v1/models, POST /v1/chat/completions and POST /v1/completions",
                null, "unknown_url");
        });
    }

    static readonly Dictionary<string, string> Routes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["/v1/models"] = "GET", ["/v1/chat/completions"] = "POST", ["/v1/completions"] = "POST",
    };

    static List<ModelCard> Cards(GenerationService service) => service.Models().Where(m => m.Problem is null)
        .Select(m => m.AdapterFolder is null
            ? new ModelCard(m.Id, "model", 0, "stylestudio", "base")
            : new ModelCard(m.Id, "model", 0, m.BaseName, "adapter", m.BaseName, m.Style))
        .ToList();

    static async Task ChatAsync(HttpContext http, GenerationService service)
    {
        if (await ReadAsync<ChatRequest>(http) is not { } body) return;
        // A style named as the model brings its presets for the fields the request leaves out.
        var presets = service.Models().FirstOrDefault(m => m.Id == body.Model)?.Presets;
        if (await Build(http, () => OpenAiRequests.Chat(body, presets)) is not { } request) return;
        using var prepared = await PrepareAsync(http, service, request);
        if (prepared is null) return;
        using var exchange = new Exchange(http, prepared, body.Model!, $"chatcmpl-{Guid.NewGuid():N}", request.TopLogprobs);
        int n = body.N ?? 1;
        if (body.Stream) await exchange.StreamChatAsync(n, request.Sampling.Seed, body.StreamOptions?.IncludeUsage == true);
        else await exchange.ChatAsync(n, request.Sampling.Seed);
    }

    static async Task CompletionsAsync(HttpContext http, GenerationService service)
    {
        if (await ReadAsync<CompletionRequest>(http) is not { } body) return;
        if (body.Prompt is not { Count: > 0 } prompts)
        {
            await ApiErrors.Write(http, 400, "prompt is required: a string or an array of strings", "prompt", "missing_required_parameter");
            return;
        }
        if (prompts.Count > OpenAiRequests.MaxChoices)
        {
            await ApiErrors.Write(http, 400, $"at most {OpenAiRequests.MaxChoices} prompts per request", "prompt");
            return;
        }
        var requests = new List<GenerationRequest>();
        foreach (var prompt in prompts)
            if (await Build(http, () => OpenAiRequests.Completion(body, prompt)) is { } request) requests.Add(request);
            else return;
        var prepared = new List<PreparedGeneration>();
        try
        {
            foreach (var request in requests)
                if (await PrepareAsync(http, service, request) is { } one) prepared.Add(one);
                else return;
            var id = $"cmpl-{Guid.NewGuid():N}";
            var exchanges = prepared.Select(p => new Exchange(http, p, body.Model!, id, requests[0].TopLogprobs)).ToList();
            try
            {
                await Exchange.CompletionsAsync(http, exchanges, body.N ?? 1, requests[0].Sampling.Seed, body.Stream, body.StreamOptions?.IncludeUsage == true);
            }
            finally
            {
                exchanges.ForEach(e => e.Dispose());
            }
        }
        finally
        {
            prepared.ForEach(p => p.Dispose());
        }
    }

    static async Task<T?> ReadAsync<T>(HttpContext http) where T : class
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Json, http.RequestAborted);
            if (body is null) await ApiErrors.Write(http, 400, "the request body is empty", null);
            return body;
        }
        catch (JsonException e)
        {
            await ApiErrors.Write(http, 400, $"the request body is not valid JSON for this endpoint: {e.Message}", null);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ApiErrors.Write(http, 413, "the request body is larger than the limit (Studio:Api:MaxRequestBytes)", null, "request_too_large");
        }
        return null;
    }

    static async Task<GenerationRequest?> Build(HttpContext http, Func<GenerationRequest> build)
    {
        try
        {
            return build();
        }
        catch (ApiRequestException e)
        {
            await ApiErrors.Write(http, 400, e.Message, e.Param, e.Code);
            return null;
        }
    }

    /// <summary>OpenAI's names for the sampling settings, for errors that point at the field the client sent.</summary>
    static readonly Dictionary<string, string> RequestNames = new()
    {
        [nameof(SamplingOptions.MaxNewTokens)] = "max_tokens",
        [nameof(SamplingOptions.Temperature)] = "temperature",
        [nameof(SamplingOptions.TopP)] = "top_p",
        [nameof(SamplingOptions.TopK)] = "top_k",
        [nameof(SamplingOptions.RepetitionPenalty)] = "repetition_penalty",
        [nameof(SamplingOptions.StopStrings)] = "stop",
    };

    /// <summary>Resolves and loads the model and lays out the prompt; on failure writes the error and returns null.</summary>
    static async Task<PreparedGeneration?> PrepareAsync(HttpContext http, GenerationService service, GenerationRequest request)
    {
        try
        {
            return await service.PrepareAsync(request, http.RequestAborted);
        }
        catch (ModelNotFoundException e)
        {
            await ApiErrors.Write(http, 404, e.Message, "model", "model_not_found");
        }
        catch (ContextLengthException e)
        {
            await ApiErrors.Write(http, 400, e.Message, "max_tokens", "context_length_exceeded");
        }
        catch (ArgumentException e)
        {
            string? param = e.ParamName is { } name ? RequestNames.GetValueOrDefault(name, JsonNamingPolicy.SnakeCaseLower.ConvertName(name)) : null;
            await ApiErrors.Write(http, 400, ApiErrors.Plain(e), param, "invalid_value");
        }
        catch (Exception e) when (e is ModelLoadException or TokenizerLoadException or IOException)
        {
            await ApiErrors.Write(http, 500, $"model '{request.Model}' could not be loaded: {e.Message}", "model", "model_load_failed");
        }
        catch (InvalidOperationException e)
        {
            http.Response.Headers.RetryAfter = "10";
            await ApiErrors.Write(http, 503, e.Message, "model", "model_busy");
        }
        return null;
    }

    /// <summary>One response: runs a prepared prompt n times (as concurrent batch rows) and writes OpenAI's JSON or events.</summary>
    sealed class Exchange(HttpContext http, PreparedGeneration prepared, string model, string id, int topLogprobs) : IDisposable
    {
        readonly long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        readonly PreparedGeneration prepared = prepared;
        readonly string model = model, id = id;
        readonly int topLogprobs = topLogprobs;
        /// <summary>Stopped when the client leaves or the studio shuts down (SIGTERM must not wait for a long generation).</summary>
        readonly CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted,
            http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);

        CancellationToken Cancellation => stop.Token;

        public void Dispose() => stop.Dispose();

        /// <summary>Choice i of a seeded request uses seed + i: the choices differ, and the request as a whole repeats.</summary>
        static long? SeedFor(long? seed, int choice) => seed is { } s ? s + choice : null;

        public async Task ChatAsync(int n, long? seed)
        {
            var cancellation = Cancellation;
            var results = await Task.WhenAll(Enumerable.Range(0, n).Select(i => prepared.CompleteAsync(SeedFor(seed, i), cancellation)));
            var choices = results.Select((r, i) => new ChatChoice(i, new ChatMessage("assistant", r.Text), null,
                topLogprobs >= 0 ? new ChoiceLogprobs(ChatLogprobs(r.Tokens)) : null, Finish(r.Reason))).ToList();
            await Results.Json(new ChatResponse(id, "chat.completion", created, model, choices, UsageOf(results)), Json).ExecuteAsync(http);
        }

        public async Task StreamChatAsync(int n, long? seed, bool includeUsage)
        {
            StartEvents(http);
            var finished = new GenerationFinished[n];
            try
            {
                for (int i = 0; i < n; i++)
                    await Event(http, Chunk(new ChatChoice(i, null, new ChatMessage("assistant", ""), null, null)));
                await foreach (var (index, e) in Merge(Enumerable.Range(0, n).Select(i => prepared.RunAsync(SeedFor(seed, i), Cancellation)).ToList()))
                {
                    if (e is GenerationDelta delta)
                        await Event(http, Chunk(new ChatChoice(index, null, new ChatMessage(null, delta.Text), topLogprobs >= 0 ? new ChoiceLogprobs(ChatLogprobs(delta.Tokens)) : null, null)));
                    else if (e is GenerationFinished end)
                    {
                        finished[index] = end;
                        await Event(http, Chunk(new ChatChoice(index, null, new ChatMessage(null, null), null, Finish(end.Reason))));
                    }
                }
                if (includeUsage) await Event(http, new ChatResponse(id, "chat.completion.chunk", created, model, [], UsageOf(finished)));
                await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The client left; its rows were freed when the cancellation reached the engine.
            }
        }

        ChatResponse Chunk(ChatChoice choice) => new(id, "chat.completion.chunk", created, model, [choice], null);

        public static async Task CompletionsAsync(HttpContext http, IReadOnlyList<Exchange> prompts, int n, long? seed, bool stream, bool includeUsage)
        {
            var first = prompts[0];
            var runs = prompts.SelectMany((p, promptIndex) => Enumerable.Range(0, n).Select(i => (Exchange: p, Index: promptIndex * n + i, Seed: SeedFor(seed, i)))).ToList();
            var cancellation = first.Cancellation;
            if (!stream)
            {
                var results = await Task.WhenAll(runs.Select(r => r.Exchange.prepared.CompleteAsync(r.Seed, cancellation)));
                var choices = results.Select((r, i) => new CompletionChoice(r.Text, runs[i].Index,
                    first.topLogprobs >= 0 ? runs[i].Exchange.CompletionLogprobs(r.Tokens) : null, Finish(r.Reason))).ToList();
                await Results.Json(new CompletionResponse(first.id, "text_completion", first.created, first.model, choices,
                    UsageOf(results, prompts.Sum(p => p.prepared.PromptTokens))), Json).ExecuteAsync(http);
                return;
            }
            StartEvents(http);
            var finished = new GenerationFinished[runs.Count];
            CompletionResponse Chunk(CompletionChoice choice) => new(first.id, "text_completion", first.created, first.model, [choice], null);
            try
            {
                await foreach (var (index, e) in Merge(runs.Select(r => r.Exchange.prepared.RunAsync(r.Seed, cancellation)).ToList()))
                {
                    var exchange = runs[index].Exchange;
                    if (e is GenerationDelta delta)
                        await Event(http, Chunk(new CompletionChoice(delta.Text, runs[index].Index, first.topLogprobs >= 0 ? exchange.CompletionLogprobs(delta.Tokens) : null, null)));
                    else if (e is GenerationFinished end)
                    {
                        finished[index] = end;
                        await Event(http, Chunk(new CompletionChoice("", runs[index].Index, null, Finish(end.Reason))));
                    }
                }
                if (includeUsage)
                    await Event(http, new CompletionResponse(first.id, "text_completion", first.created, first.model, [], UsageOf(finished, prompts.Sum(p => p.prepared.PromptTokens))));
                await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
            }
        }

        Usage UsageOf(IReadOnlyList<GenerationFinished> results) => UsageOf(results, prepared.PromptTokens);

        /// <summary>The prompt counts once however many choices were made of it, as OpenAI bills it.</summary>
        static Usage UsageOf(IReadOnlyList<GenerationFinished> results, int promptTokens)
        {
            int completion = results.Sum(r => r.CompletionTokens);
            return new Usage(promptTokens, completion, promptTokens + completion);
        }

        List<TokenLogprobInfo> ChatLogprobs(IReadOnlyList<GeneratedToken> tokens) => tokens
            .Where(t => t.Logprob is not null)
            .Select(t => new TokenLogprobInfo(Text(t.Id), t.Logprob!.Value, Bytes(t.Id),
                (t.Top ?? []).Select(a => new TopLogprob(Text(a.Id), a.Logprob, Bytes(a.Id))).ToList()))
            .ToList();

        CompletionLogprobs CompletionLogprobs(IReadOnlyList<GeneratedToken> tokens)
        {
            var kept = tokens.Where(t => t.Logprob is not null).ToList();
            var offsets = new List<int>();
            int offset = 0;
            foreach (var t in kept)
            {
                offsets.Add(offset);
                offset += Text(t.Id).Length;
            }
            return new CompletionLogprobs(kept.Select(t => Text(t.Id)).ToList(), kept.Select(t => t.Logprob!.Value).ToList(),
                topLogprobs > 0 ? kept.Select(t => (t.Top ?? []).GroupBy(a => Text(a.Id)).ToDictionary(g => g.Key, g => g.First().Logprob)).ToList() : null,
                offsets);
        }

        TextTokenizer Tokenizer => prepared.Tokenizer;
        string Text(int tokenId) => Encoding.UTF8.GetString(Tokenizer.TokenBytes(tokenId));
        byte[] Bytes(int tokenId) => Tokenizer.TokenBytes(tokenId);
    }

    /// <summary>Events of several runs as they come, each tagged with its run's index.</summary>
    static async IAsyncEnumerable<(int Index, GenerationEvent Event)> Merge(IReadOnlyList<IAsyncEnumerable<GenerationEvent>> runs)
    {
        var merged = Channel.CreateUnbounded<(int, GenerationEvent)>();
        var pumps = runs.Select(async (run, index) =>
        {
            await foreach (var e in run) await merged.Writer.WriteAsync((index, e));
        }).ToList();
        _ = Task.WhenAll(pumps).ContinueWith(t => merged.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var item in merged.Reader.ReadAllAsync()) yield return item;
    }

    static void StartEvents(HttpContext http)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
    }

    static async Task Event<T>(HttpContext http, T chunk)
    {
        await http.Response.WriteAsync($"data: {JsonSerializer.Serialize(chunk, Json)}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    static string Finish(FinishReason reason) => reason == FinishReason.Length ? "length" : "stop";
}
