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
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNameCaseInsensitive = true,
    };

    public static void MapOpenAi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", (ModelCatalog catalog, DataStore store) => Results.Json(new ModelList("list", ModelIds(catalog, store)
            .Select(id => new ModelCard(id, "model", 0, "stylestudio")).ToList()), Json));
        app.MapPost("/v1/chat/completions", ChatAsync);
        // Any other /v1 address answers in OpenAI's error shape, so clients show the reason rather than an HTML page.
        app.MapFallback("/v1/{**path}", (HttpContext http) =>
            Error(http, 404, $"there is no {http.Request.Method} {http.Request.Path} here; this server offers GET /v1/models and POST /v1/chat/completions", null));
    }

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
        }
        catch (ArgumentException e)
        {
            await Error(http, 400, e.Message, (e as ArgumentOutOfRangeException)?.ParamName is { } name ? ToSnake(name) : null);
            return;
        }

        LoadedModel loaded;
        try
        {
            loaded = await served.LoadAsync(modelName, run?.Id, http.RequestAborted);
        }
        catch (Exception e) when (e is ModelLoadException or TokenizerLoadException or IOException)
        {
            await Error(http, 500, $"model '{request.Model}' could not be loaded: {e.Message}", "model", "server_error");
            return;
        }
        using var lease = loaded.Lease();
        string system = string.Concat(messages.Where(m => m.Role == "system").Select(m => m.Content));
        var prompt = TemplatedPrompt.Create(loaded.Model, template, messages[^1].Content, system.Length > 0 ? system : null);
        var generator = new TextGenerator(loaded.Model, prompt.StopIds);
        string id = $"chatcmpl-{Guid.NewGuid():N}";
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        if (!request.Stream)
        {
            var result = await Task.Run(() => generator.Generate(prompt.Ids, options, cancellation: http.RequestAborted));
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
                return generator.Generate(prompt.Ids, options, d => { if (d.Text.Length > 0) deltas.Writer.TryWrite(d.Text); }, http.RequestAborted);
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

    static Task Error(HttpContext http, int status, string message, string? param, string type = "invalid_request_error") =>
        Results.Json(new ErrorBody(new ApiError(message, type, param)), Json, statusCode: status).ExecuteAsync(http);

    static string ToSnake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
