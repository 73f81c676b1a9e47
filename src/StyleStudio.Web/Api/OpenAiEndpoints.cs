using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Tokenization;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Api;

/// <summary>
/// An OpenAI-compatible endpoint (<c>/v1/models</c>, <c>/v1/chat/completions</c> with or without streaming), so existing
/// OpenAI clients can call a model trained here. Model ids: a model folder's name, or <c>run-N</c> for run N's adapter on
/// its base (prompted through the template it was trained with). One system message and one user message per request:
/// rewriting text in a style is single-turn.
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
        api.MapGet("/models", (ModelCatalog catalog, DataStore store) => Results.Json(new ModelList("list", ModelIds(catalog, store)
            .Select(id => new ModelCard(id, "model", 0, "stylestudio")).ToList()), Json));
        api.MapPost("/chat/completions", ChatAsync);
        // Any other /v1 address answers in OpenAI's error shape, so clients show the reason rather than an HTML page.
        api.MapFallback("{**path}", (HttpContext http) => ApiErrors.Result(404,
            $"there is no {http.Request.Method} {http.Request.Path} here; this server offers GET /v1/models and POST /v1/chat/completions",
            null, "unknown_url"));
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

    static IEnumerable<string> ModelIds(ModelCatalog catalog, DataStore store) =>
        catalog.Models().Select(m => m.Name).Concat(AdapterRuns(store).Select(r => $"run-{r.Id}"));

    static IEnumerable<RunRecord> AdapterRuns(DataStore store) =>
        store.Runs.All().Where(r => r.Status == RunStatus.Completed && r.Settings.FinetuningType == "lora");

    static async Task ChatAsync(HttpContext http, ModelCatalog catalog, DataStore store, ServedModel served)
    {
        ChatRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<ChatRequest>(http.Request.Body, Json, http.RequestAborted);
        }
        catch (JsonException e)
        {
            await Error(http, 400, $"the request body is not valid JSON for a chat completion: {e.Message}", null);
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(http, 413, "the request body is larger than the limit (Studio:Api:MaxRequestBytes)", null, "request_too_large");
            return;
        }
        if (string.IsNullOrWhiteSpace(request?.Model))
        {
            await Error(http, 400, $"model is required; available: {string.Join(", ", ModelIds(catalog, store))}", "model", "missing_required_parameter");
            return;
        }
        if (request is null || request.Messages is not { Count: > 0 } messages)
        {
            await Error(http, 400, "messages must hold at least one message", "messages");
            return;
        }
        if (messages.Any(m => m.Role is not ("system" or "user")) || messages.Count(m => m.Role == "user") != 1 || messages[^1].Role != "user")
        {
            await Error(http, 400, "send one user message, optionally after one system message: StyleStudio's models rewrite one text at a time", "messages");
            return;
        }

        // The model: a folder, or run-N (its base, its adapter, its template).
        var run = request.Model.StartsWith("run-", StringComparison.Ordinal) && int.TryParse(request.Model[4..], out int runId)
            ? AdapterRuns(store).FirstOrDefault(r => r.Id == runId) : null;
        string? modelName = run?.Model ?? catalog.Models().FirstOrDefault(m => m.Name == request.Model)?.Name;
        if (modelName is null)
        {
            await Error(http, 404, $"no model '{request.Model}'; available: {string.Join(", ", ModelIds(catalog, store))}", "model", "model_not_found");
            return;
        }
        SamplingOptions options;
        PromptTemplate template;
        try
        {
            template = PromptTemplates.Get(run?.Settings.Template ?? request.Template ?? PromptTemplates.Qwen.Name);
            options = new SamplingOptions
            {
                Temperature = request.Temperature ?? 1.0, TopP = request.TopP ?? 1.0, TopK = request.TopK ?? 0,
                RepetitionPenalty = request.RepetitionPenalty ?? 1.0, MaxNewTokens = request.MaxTokens ?? 256,
                Seed = request.Seed, StopStrings = request.Stop ?? [],
            };
            options.Validate();
            // OpenAI's range; higher temperatures only make noise.
            if (options.Temperature > 2)
                throw new ArgumentOutOfRangeException(nameof(SamplingOptions.Temperature), options.Temperature, "temperature must be between 0 and 2");
        }
        catch (ArgumentException e)
        {
            await Error(http, 400, ApiErrors.Plain(e), e.ParamName is { } name ? RequestNames.GetValueOrDefault(name, ToSnake(name)) : null, "invalid_value");
            return;
        }

        LoadedModel loaded;
        try
        {
            loaded = await served.LoadAsync(modelName, run?.Id, http.RequestAborted);
        }
        catch (Exception e) when (e is ModelLoadException or TokenizerLoadException or IOException)
        {
            await Error(http, 500, $"model '{request.Model}' could not be loaded: {e.Message}", "model", "model_load_failed");
            return;
        }
        using var lease = loaded.Lease();
        string system = string.Concat(messages.Where(m => m.Role == "system").Select(m => m.Content));
        var prompt = TemplatedPrompt.Create(loaded.Model, template, messages[^1].Content, system.Length > 0 ? system : null);
        int context = loaded.Model.Config.MaxPositionEmbeddings;
        if (prompt.Ids.Length + (long)options.MaxNewTokens > context)
        {
            await Error(http, 400, $"the prompt is {prompt.Ids.Length} tokens and max_tokens asks for {options.MaxNewTokens} more: " +
                $"{prompt.Ids.Length + (long)options.MaxNewTokens} in all, beyond the model's context of {context} tokens", "max_tokens", "context_length_exceeded");
            return;
        }
        var generator = new TextGenerator(loaded.Model, prompt.StopIds);
        // The client leaving, or the studio shutting down (SIGTERM must not wait for a long generation), stops it.
        using var generation = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted,
            http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        if (!request.Stream)
        {
            var result = await Task.Run(() => generator.Generate(prompt.Ids, options, cancellation: generation.Token));
            await Results.Json(new ChatResponse(id, "chat.completion", created, request.Model,
                [new ChatChoice(0, new ChatMessage("assistant", result.Text), null, FinishReason(result.FinishReason))],
                new ChatUsage(result.PromptTokens, result.TokenIds.Count, result.PromptTokens + result.TokenIds.Count)), Json).ExecuteAsync(http);
            return;
        }

        // Server-sent events: a chunk per piece of text as it is generated, then the finish reason, then [DONE].
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var deltas = Channel.CreateUnbounded<string>();
        var work = Task.Run(() =>
        {
            try
            {
                return generator.Generate(prompt.Ids, options, d => { if (d.Text.Length > 0) deltas.Writer.TryWrite(d.Text); }, generation.Token);
            }
            finally
            {
                deltas.Writer.Complete();
            }
        });
        await Event(http, new ChatResponse(id, "chat.completion.chunk", created, request.Model, [new ChatChoice(0, null, new ChatMessage("assistant", ""), null)], null));
        await foreach (var text in deltas.Reader.ReadAllAsync(CancellationToken.None))
            await Event(http, new ChatResponse(id, "chat.completion.chunk", created, request.Model, [new ChatChoice(0, null, new ChatMessage("assistant", text), null)], null));
        var final = await work;
        await Event(http, new ChatResponse(id, "chat.completion.chunk", created, request.Model, [new ChatChoice(0, null, null, FinishReason(final.FinishReason))], null));
        await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
    }

    static async Task Event(HttpContext http, ChatResponse chunk)
    {
        await http.Response.WriteAsync($"data: {JsonSerializer.Serialize(chunk, Json)}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    static string FinishReason(FinishReason reason) => reason == StyleStudio.Training.Generation.FinishReason.Length ? "length" : "stop";

    static Task Error(HttpContext http, int status, string message, string? param, string? code = null) =>
        ApiErrors.Write(http, status, message, param, code);

    static string ToSnake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
