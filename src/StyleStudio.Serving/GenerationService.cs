using System.Diagnostics;
using System.Runtime.CompilerServices;
using StyleStudio.Evaluation;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Serving;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Serving;

/// <summary>What to generate: a model id, a conversation (laid out by a template) or a raw prompt, and how to sample.</summary>
public sealed record GenerationRequest
{
    public required string Model { get; init; }
    /// <summary>The conversation to answer; null when <see cref="Prompt"/> is given.</summary>
    public IReadOnlyList<ChatTurn>? Messages { get; init; }
    /// <summary>Text continued as is (no template): OpenAI's completions.</summary>
    public string? Prompt { get; init; }
    /// <summary>The template to lay the conversation out with; defaults to the adapter's training template, else qwen.</summary>
    public string? Template { get; init; }
    public SamplingOptions Sampling { get; init; } = new();
    /// <summary>Scale on the adapter's update, 0–2 (1 = as trained); ignored for a base.</summary>
    public double StyleStrength { get; init; } = 1.0;
    public double PresencePenalty { get; init; }
    public double FrequencyPenalty { get; init; }
    /// <summary>−1 none; 0 the chosen tokens' log-probabilities; N also the N most likely alternatives.</summary>
    public int TopLogprobs { get; init; } = -1;
    /// <summary>When the model is a style: put its phrasing before the last user message (evaluation turns this off, its
    /// rows carry their own instructions).</summary>
    public bool WithStyleInstruction { get; init; } = true;
}

/// <summary>Something a generation produced: text (with the tokens that made it), then how it ended.</summary>
public abstract record GenerationEvent;

/// <summary>New text; <see cref="Tokens"/> are the tokens it came from (a character may span tokens, so some deltas hold several).</summary>
public sealed record GenerationDelta(string Text, IReadOnlyList<GeneratedToken> Tokens) : GenerationEvent;

/// <summary>The end: the whole text, why it stopped, and the token counts a bill is made of.</summary>
public sealed record GenerationFinished(string Text, FinishReason Reason, int PromptTokens, int CompletionTokens, TimeSpan Elapsed,
    IReadOnlyList<GeneratedToken> Tokens) : GenerationEvent
{
    public double TokensPerSecond => CompletionTokens / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// The one way anything in StyleStudio generates text — playground, OpenAI API, evaluation and the CLI: resolves a model
/// id, has the <see cref="ModelHost"/> load it, lays the prompt out, submits to the base's batching engine, and streams
/// text (never splitting a character, holding back what may become a stop string).
/// </summary>
public sealed class GenerationService(ModelHost host, IModelDirectory directory)
{
    public IReadOnlyList<ServableModel> Models() => directory.List();

    /// <summary>The entry for <paramref name="id"/>.</summary>
    /// <exception cref="ModelNotFoundException">No such id.</exception>
    public ServableModel Resolve(string id)
    {
        var models = directory.List();
        return models.FirstOrDefault(m => m.Id == id) ?? throw new ModelNotFoundException(id, models.Where(m => m.Problem is null).Select(m => m.Id));
    }

    /// <summary>The template asked for, else the one the adapter was trained with, else qwen.</summary>
    static PromptTemplate TemplateFor(ServableModel model, string? requested) =>
        PromptTemplates.Get(requested ?? model.Template ?? PromptTemplates.Qwen.Name);

    /// <summary>
    /// Loads what <paramref name="request"/> needs and lays its prompt out, so every error (unknown model, bad messages,
    /// too long for the context) surfaces before any text; the returned generation holds the model until disposed.
    /// </summary>
    public async Task<PreparedGeneration> PrepareAsync(GenerationRequest request, CancellationToken cancellation = default)
    {
        request.Sampling.Validate();
        if ((request.Messages is null) == (request.Prompt is null))
            throw new ArgumentException("give either messages or a prompt", nameof(request));
        var model = Resolve(request.Model);
        var lease = await host.AcquireAsync(model, cancellation);
        try
        {
            var pretrained = lease.Base.Model;
            var tokenizer = pretrained.RequireTokenizer();
            var prompt = request.Messages is { } messages
                ? TemplatedPrompt.Create(tokenizer, pretrained.EosTokenIds, TemplateFor(model, request.Template), request.WithStyleInstruction ? WithInstruction(model, messages) : messages)
                : new TemplatedPrompt(tokenizer.Encode(request.Prompt!, addSpecialTokens: true), pretrained.EosTokenIds);
            if (prompt.Ids.Length == 0) throw new ArgumentException("the prompt is empty", nameof(request.Prompt));
            long limit = lease.Base.Engine.SlotTokens;
            if (prompt.Ids.Length + (long)request.Sampling.MaxNewTokens > limit)
                throw new ContextLengthException(prompt.Ids.Length, request.Sampling.MaxNewTokens, limit, lease.Base.Engine.LimitIsContext);
            return new PreparedGeneration(lease, model, tokenizer, prompt, request);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A style's phrasing before the last user message, joined as training joins instruction and input (a newline), so a
    /// client sends only the text to rewrite.
    /// </summary>
    static IReadOnlyList<ChatTurn> WithInstruction(ServableModel model, IReadOnlyList<ChatTurn> messages)
    {
        int last = messages.Count - 1;
        while (last >= 0 && messages[last].Role != "user") last--;
        if (string.IsNullOrEmpty(model.Instruction) || last < 0) return messages;
        var turns = messages.ToList();
        turns[last] = turns[last] with { Content = model.Instruction + "\n" + turns[last].Content };
        return turns;
    }

    /// <summary>Prepares and runs one generation, streaming its events.</summary>
    public async IAsyncEnumerable<GenerationEvent> StreamAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        using var prepared = await PrepareAsync(request, cancellation);
        await foreach (var e in prepared.RunAsync(cancellation: cancellation)) yield return e;
    }

    /// <summary>
    /// How likely <paramref name="model"/> finds <paramref name="answer"/> to <paramref name="query"/>, the pair laid out
    /// as training lays it out (labels: the answer and its end-of-turn).
    /// </summary>
    public async Task<AnswerLikelihood> LikelihoodAsync(string model, string? template, string query, string answer, string? system,
        double styleStrength = 1.0, CancellationToken cancellation = default)
    {
        var served = Resolve(model);
        using var lease = await host.AcquireAsync(served, cancellation);
        var engine = lease.Base.Engine;
        var encoder = new ExampleEncoder(TemplateFor(served, template), lease.Base.Model.RequireTokenizer(), (int)engine.SlotTokens);
        var example = encoder.Encode(new Conversation([new Turn(query, answer)], system));
        var logprobs = await engine.TokenLogprobsAsync(example.InputIds, served.AdapterFolder, served.AdapterFolder is null ? 1.0 : styleStrength);
        return StyleEvaluator.Likelihood(example, logprobs);
    }

    /// <summary>
    /// How likely the base of <paramref name="model"/> (no adapter) finds <paramref name="text"/> on its own, with no
    /// prompt: every token after the first is predicted (as transformers' perplexity counts) — the fluency judge.
    /// </summary>
    public async Task<AnswerLikelihood> TextLikelihoodAsync(string model, string text, CancellationToken cancellation = default)
    {
        var served = Resolve(model);
        using var lease = await host.AcquireAsync(served, cancellation);
        var ids = lease.Base.Model.RequireTokenizer().Encode(text, addSpecialTokens: true);
        if (ids.Length > lease.Base.Engine.SlotTokens) ids = ids[..(int)lease.Base.Engine.SlotTokens];
        if (ids.Length < 2) return new AnswerLikelihood(0, 0);
        var logprobs = await lease.Base.Engine.TokenLogprobsAsync(ids, null, 1.0);
        return new AnswerLikelihood(-logprobs.Take(ids.Length - 1).Sum(l => (double)l), ids.Length - 1);
    }

    /// <summary>Prepares and runs one generation to its end.</summary>
    public async Task<GenerationFinished> GenerateAsync(GenerationRequest request, CancellationToken cancellation = default)
    {
        using var prepared = await PrepareAsync(request, cancellation);
        return await prepared.CompleteAsync(cancellation: cancellation);
    }
}

/// <summary>A laid-out prompt on a loaded model: run it once, or several times (OpenAI's <c>n</c>).</summary>
public sealed class PreparedGeneration : IDisposable
{
    readonly BaseLease lease;
    readonly TemplatedPrompt prompt;
    readonly GenerationRequest request;

    internal PreparedGeneration(BaseLease lease, ServableModel model, TextTokenizer tokenizer, TemplatedPrompt prompt, GenerationRequest request)
    {
        this.lease = lease;
        this.prompt = prompt;
        this.request = request;
        Model = model;
        Tokenizer = tokenizer;
    }

    public ServableModel Model { get; }
    public TextTokenizer Tokenizer { get; }
    public int PromptTokens => prompt.Ids.Length;
    /// <summary>The prompt as the model reads it.</summary>
    public IReadOnlyList<int> PromptIds => prompt.Ids;

    /// <summary>Runs the prompt; <paramref name="seed"/> replaces the request's seed (each of n choices gets its own).</summary>
    public async IAsyncEnumerable<GenerationEvent> RunAsync(long? seed = null, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var sampling = seed is null ? request.Sampling : request.Sampling with { Seed = seed };
        // A stop string found in the text ends the request in the engine too, freeing its slot at once.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var generation = lease.Base.Engine.Submit(new EngineRequest(prompt.Ids, prompt.StopIds, sampling)
        {
            Adapter = Model.AdapterFolder,
            Strength = Model.AdapterFolder is null ? 1.0 : request.StyleStrength,
            PresencePenalty = request.PresencePenalty,
            FrequencyPenalty = request.FrequencyPenalty,
            TopLogprobs = request.TopLogprobs,
        }, stop.Token);
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        var stops = new StopStringFilter(sampling.StopStrings);
        var tokens = new List<GeneratedToken>();
        var unreported = new List<GeneratedToken>();
        bool stopped = false;
        await foreach (var token in generation.Tokens.ReadAllAsync(CancellationToken.None))
        {
            tokens.Add(token);
            unreported.Add(token);
            var (text, hit) = stops.Push(detokenizer.Push(token.Id));
            if (text.Length > 0)
            {
                yield return new GenerationDelta(text, [.. unreported]);
                unreported.Clear();
            }
            if (hit)
            {
                stopped = true;
                stop.Cancel();
                break;
            }
        }
        var outcome = await generation.Completion;
        if (!stopped)
        {
            var (rest, _) = stops.Push(detokenizer.Flush(), final: true);
            if (rest.Length > 0 || unreported.Count > 0) yield return new GenerationDelta(rest, [.. unreported]);
        }
        var reason = stopped ? FinishReason.StopString : outcome.Reason;
        yield return new GenerationFinished(stops.Emitted, reason, prompt.Ids.Length, tokens.Count, clock.Elapsed, tokens);
    }

    /// <summary>Runs the prompt to its end.</summary>
    public async Task<GenerationFinished> CompleteAsync(long? seed = null, CancellationToken cancellation = default)
    {
        GenerationFinished? finished = null;
        await foreach (var e in RunAsync(seed, cancellation))
            if (e is GenerationFinished f) finished = f;
        return finished!;
    }

    public void Dispose() => lease.Dispose();
}

/// <summary>A served model as evaluation sees it: greedy rewrites and reference likelihoods, both through the engine.</summary>
public sealed class ServedStyleModel(GenerationService service, string model, string? template, int maxNewTokens) : IStyleModel
{
    public async Task<string> RewriteAsync(string query, string? system, CancellationToken cancellation)
    {
        var result = await service.GenerateAsync(new GenerationRequest
        {
            Model = model,
            Template = template,
            Messages = [.. system is null ? [] : new[] { new ChatTurn("system", system) }, new ChatTurn("user", query)],
            Sampling = new SamplingOptions { Temperature = 0, MaxNewTokens = maxNewTokens },
            WithStyleInstruction = false,
        }, cancellation);
        return result.Text;
    }

    public Task<AnswerLikelihood> LikelihoodAsync(string query, string answer, string? system, CancellationToken cancellation) =>
        service.LikelihoodAsync(model, template, query, answer, system, cancellation: cancellation);

    public Task<AnswerLikelihood> FluencyAsync(string text, CancellationToken cancellation) =>
        service.TextLikelihoodAsync(model, text, cancellation);
}
