using System.Collections.Concurrent;
using Hangfire;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;

namespace StyleStudio.Web.Pairs;

/// <summary>
/// Starting, cancelling and reading pair generations: the one place pages go through. Settings are checked here, before
/// anything is queued, so a bad request gets its reason at once.
/// </summary>
public sealed class PairGenerations(DataStore store, IBackgroundJobClient jobs, GenerationService generation, PairGenerationEvents events)
{
    public const int MaxTokensLimit = 4096;

    readonly ConcurrentDictionary<int, CancellationTokenSource> running = new();
    // Endpoints' API keys, in memory only (as judges' are): never written to the data folder. A generation the studio
    // restarts has none, and an endpoint that needs one then says so.
    readonly ConcurrentDictionary<int, string> apiKeys = new();

    /// <exception cref="ArgumentException">The source, rewriter, prompt, filters or target do not hold up; the message says how.</exception>
    /// <param name="apiKey">The endpoint's API key, if it needs one; kept in memory for the job only.</param>
    public PairGenerationRecord Start(PairGenerationSettings settings, string? apiKey = null)
    {
        int available = SourceTexts(settings.SourceKind, settings.Source).Count;
        if (available == 0) throw new ArgumentException($"'{settings.Source}' has no texts");
        if (settings.Texts < 1) throw new ArgumentException("generate from at least one text");
        if (string.IsNullOrWhiteSpace(settings.Prompt)) throw new ArgumentException("write the prompt that asks for the plain rewrite");
        if (settings.Temperature is < 0 or > 2) throw new ArgumentException($"temperature must be between 0 and 2; got {settings.Temperature}");
        if (settings.MaxTokens is < 1 or > MaxTokensLimit) throw new ArgumentException($"max tokens must be between 1 and {MaxTokensLimit}; got {settings.MaxTokens}");
        settings.Filters.Validate();
        DatasetNames.Check(settings.TargetDataset);
        if (string.IsNullOrWhiteSpace(settings.Instruction)) throw new ArgumentException("write the instruction the pairs teach (e.g. 请用文言文改写下面的句子。)");
        CheckRewriter(settings.Rewriter);
        var record = store.PairGenerations.Create(settings with { Texts = Math.Min(settings.Texts, available), Style = settings.Style.Trim() });
        if (!string.IsNullOrEmpty(apiKey)) apiKeys[record.Id] = apiKey;
        Enqueue(record.Id);
        return record;
    }

    void CheckRewriter(PairRewriter rewriter)
    {
        if (string.IsNullOrWhiteSpace(rewriter.Model)) throw new ArgumentException("name the model that rewrites the texts");
        if (rewriter.Endpoint is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new ArgumentException($"endpoint '{endpoint}' is not an http(s) address (e.g. https://api.openai.com/v1 or http://localhost:5000/v1)");
        }
        else if (!generation.Models().Any(m => m.Id == rewriter.Model && m.Problem is null))
            throw new ArgumentException($"no servable model '{rewriter.Model}'; models: {string.Join(", ", ServableModels())}");
    }

    /// <summary>The ids of the models this studio can rewrite with.</summary>
    public IReadOnlyList<string> ServableModels() => generation.Models().Where(m => m.Problem is null).Select(m => m.Id).ToList();

    /// <summary>The styled texts of a corpus, or the outputs of a dataset's current version.</summary>
    /// <exception cref="ArgumentException">No such corpus or dataset.</exception>
    public IReadOnlyList<string> SourceTexts(PairSourceKind kind, string name) => kind == PairSourceKind.Corpus
        ? store.Corpora.Texts(name)
        : store.Rows(store.Find(name).Id).Select(r => r.Output).ToList();

    /// <summary>
    /// Requeues generations a previous process left running (killed rather than stopped); the old job is deleted so it
    /// cannot run twice.
    /// </summary>
    public void RecoverInterrupted()
    {
        foreach (var generation in store.PairGenerations.All().Where(g => g.Status == PairGenerationStatus.Running))
        {
            if (store.PairGenerations.JobOf(generation.Id) is { } job) jobs.ChangeState(job, new Hangfire.States.DeletedState(), null);
            store.PairGenerations.Requeue(generation.Id, PairGenerationMessages.Interrupted);
            Enqueue(generation.Id);
        }
    }

    void Enqueue(int id) => store.PairGenerations.SetJob(id, jobs.Enqueue<PairGenerationJob>(job => job.Execute(id, CancellationToken.None)));

    public IReadOnlyList<PairGenerationRecord> All() => store.PairGenerations.All();

    public PairGenerationRecord Get(int id) => store.PairGenerations.Get(id);

    /// <summary>Each text's outcome so far, in the source's order.</summary>
    public IReadOnlyList<PairItem> Items(int id) => store.PairGenerations.Items(id);

    internal string? ApiKey(int id) => apiKeys.GetValueOrDefault(id);

    public void Cancel(int id)
    {
        var record = store.PairGenerations.Get(id);
        if (record.Status is not (PairGenerationStatus.Queued or PairGenerationStatus.Running)) return;
        store.PairGenerations.RequestCancel(id);
        if (running.TryGetValue(id, out var source)) source.Cancel();
        else
        {
            // Not started yet: its job goes, and it says so now.
            if (store.PairGenerations.JobOf(id) is { } job) jobs.Delete(job);
            store.PairGenerations.Finish(id, PairGenerationStatus.Cancelled, PairGenerationMessages.CancelledBeforeStart);
            events.Publish(store.PairGenerations.Get(id));
        }
    }

    public void Delete(int id)
    {
        Cancel(id);
        apiKeys.TryRemove(id, out _);
        store.PairGenerations.Delete(id);
    }

    /// <summary>The job's cancellation: the user's Cancel or the studio stopping; disposing it unregisters.</summary>
    internal IDisposable Register(int id, CancellationToken shutdown, out CancellationToken token)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        running[id] = source;
        token = source.Token;
        return new Unregister(() =>
        {
            running.TryRemove(id, out _);
            source.Dispose();
        });
    }

    sealed class Unregister(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
