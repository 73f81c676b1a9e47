using System.Globalization;
using Hangfire;
using StyleStudio.Data.Model;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;

namespace StyleStudio.Web.Pairs;

/// <summary>
/// A pair generation as a Hangfire job ("de-styling"): each styled text is rewritten into plain text by the chosen model,
/// each pair filtered, every outcome stored as it comes; at the end the kept pairs (plain → styled) become a new version of
/// the target dataset, its note holding the prompt. If the studio stops mid-way, the job goes back to the queue and starts over.
/// </summary>
public sealed class PairGenerationJob(DataStore store, GenerationService generation, PairGenerations generations, PairGenerationEvents events,
    ILogger<PairGenerationJob> log)
{
    /// <summary>One worker: a served rewriter shares the engine with the playground, the API and evaluations.</summary>
    public const string Queue = "pairs";

    [Queue(Queue), AutomaticRetry(Attempts = 0)]
    public async Task Execute(int id, CancellationToken shutdown)
    {
        var record = store.PairGenerations.Get(id);
        if (record.Status is PairGenerationStatus.Completed or PairGenerationStatus.Failed or PairGenerationStatus.Cancelled) return;
        using var registration = generations.Register(id, shutdown, out var cancellation);
        try
        {
            var (message, version) = await Generate(record, cancellation);
            Finish(id, PairGenerationStatus.Completed, message, version);
        }
        catch (OperationCanceledException) when (store.PairGenerations.Get(id).CancelRequested)
        {
            Finish(id, PairGenerationStatus.Cancelled, PairGenerationMessages.Cancelled);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("pair generation {Id} interrupted by shutdown; back in the queue", id);
            store.PairGenerations.Requeue(id, PairGenerationMessages.Interrupted);
            throw;   // Hangfire requeues the job
        }
        catch (Exception e)
        {
            log.LogError(e, "pair generation {Id} failed", id);
            Finish(id, PairGenerationStatus.Failed, e.Message);
        }
    }

    async Task<(string? Message, int? Version)> Generate(PairGenerationRecord record, CancellationToken cancellation)
    {
        var settings = record.Settings;
        var texts = generations.SourceTexts(settings.SourceKind, settings.Source).Take(settings.Texts).ToList();
        store.PairGenerations.Start(record.Id, texts.Count);
        events.Publish(store.PairGenerations.Get(record.Id));
        var rewriter = PairPrompt.Create(settings, generations.ApiKey(record.Id), generation);
        var filters = new PairFilters(settings.Filters);
        var kept = new List<DatasetRow>();
        int rewritten = 0;
        string? lastError = null;
        for (int i = 0; i < texts.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            var item = await Pair(i + 1, texts[i], rewriter, filters, cancellation);
            lastError = item.Error ?? lastError;
            if (item.Plain is not null) rewritten++;
            if (item.Kept)
                kept.Add(new DatasetRow
                {
                    Instruction = settings.Instruction, Input = item.Plain, Output = item.Styled,
                    Style = settings.Style.Length > 0 ? settings.Style : null, Score = item.Similarity, Author = settings.Rewriter.Model,
                });
            events.Publish(store.PairGenerations.Add(record.Id, item), item);
        }
        // Every rewrite failed on its own (a 500 each time): that is the rewriter failing, not the texts.
        if (rewritten == 0 && lastError is not null)
            throw new InvalidOperationException($"every rewrite failed; the last: {lastError}");
        if (kept.Count == 0) return (PairGenerationMessages.NothingKept, null);
        var dataset = store.AddVersion(settings.TargetDataset, kept, Step(settings, kept.Count), Note(settings));
        return (null, dataset.Version);
    }

    /// <summary>One text: a repeat is turned away before rewriting; a rewrite that fails alone is recorded as failed.</summary>
    static async Task<PairItem> Pair(int number, string styled, IPairRewriter rewriter, PairFilters filters, CancellationToken cancellation)
    {
        if (filters.CheckSource(number, styled) is { } repeat) return new PairItem(number, styled, null, repeat, null, null);
        string plain;
        try
        {
            plain = await rewriter.RewriteAsync(styled, cancellation);
        }
        catch (PairRewriterException e) when (!e.Fatal)
        {
            return new PairItem(number, styled, null, null, e.Message, null);
        }
        catch (PairRewriterException e)
        {
            throw new InvalidOperationException(e.Message, e);   // fails the job, its message naming the endpoint
        }
        var rejection = filters.Check(number, plain, styled);
        return new PairItem(number, styled, plain, rejection, null, plain.Length > 0 ? ContentSimilarity.Between(plain, styled) : null);
    }

    static string Step(PairGenerationSettings settings, int kept) => $"generated {kept} pairs from {settings.Source} with {settings.Rewriter.Model}";

    /// <summary>What the version keeps: the rewriter, sampling, filters, and the prompt (last, whole, as it was sent).</summary>
    static string Note(PairGenerationSettings settings)
    {
        var f = settings.Filters;
        string rewriter = settings.Rewriter.Endpoint is { } endpoint ? $"{settings.Rewriter.Model} at {endpoint}" : settings.Rewriter.Model;
        return string.Create(CultureInfo.InvariantCulture,
            $"rewriter: {rewriter}; temperature {settings.Temperature}, max tokens {settings.MaxTokens}\n" +
            $"filters: length ratio {f.MinLengthRatio}–{f.MaxLengthRatio}, similarity ≥ {f.MinSimilarity}, duplicates {(f.DropDuplicates ? "dropped" : "kept")}\n" +
            $"prompt: {settings.Prompt}");
    }

    void Finish(int id, PairGenerationStatus status, string? message, int? version = null)
    {
        store.PairGenerations.Finish(id, status, message, version);
        events.Publish(store.PairGenerations.Get(id));
    }
}
