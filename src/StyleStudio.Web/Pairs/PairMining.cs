using System.Globalization;
using StyleStudio.Data.Model;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Pairs;

/// <summary>What a publication added: the dataset's new version, its row count, and how many of the rows came from the session.</summary>
public sealed record MiningPublished(string Dataset, int Version, long Rows, int Added);

/// <summary>
/// Mining pairs between two corpora as the studio does it: mine on a worker thread with progress, keep the session (every
/// candidate, the confirmation sample, the user's labels and decisions, the threshold) in the store so nothing of a
/// review is lost, estimate the threshold's trade-off from the labelled sample, and publish the chosen pairs as a new
/// dataset version. The page keeps form state only.
/// </summary>
public sealed class PairMining(DataStore store)
{
    public IReadOnlyList<string> CorpusNames() => store.Corpora.All().Select(c => c.Name).ToList();

    /// <summary>The style label of a corpus, or null when it is gone or has none.</summary>
    public string? CorpusStyle(string corpus) => store.Corpora.Find(corpus)?.Style is { Length: > 0 } style ? style : null;

    /// <summary>Earlier sessions, newest first.</summary>
    public IReadOnlyList<MiningSessionRecord> Sessions() => store.Mining.All();

    public MiningSessionRecord Session(int id) => store.Mining.Get(id);

    public IReadOnlyList<MiningCandidate> Candidates(int id) => store.Mining.Candidates(id);

    public IReadOnlyDictionary<int, PairDecision> Decisions(int id) => store.Mining.Decisions(id);

    /// <summary>
    /// Mines <paramref name="sourceCorpus"/> × <paramref name="targetCorpus"/> off the caller's thread (big corpora take
    /// seconds to minutes), reporting progress 0–1, and stores the session with a stratified confirmation sample.
    /// </summary>
    public async Task<MiningSessionRecord> MineAsync(string sourceCorpus, string targetCorpus, CorpusOrder order, IProgress<double>? progress,
        CancellationToken cancellation, int sampleSize = StratifiedSample.DefaultSize)
    {
        if (sourceCorpus == targetCorpus) throw new ArgumentException($"choose two different corpora; both sides are '{sourceCorpus}'");
        return await Task.Run(() =>
        {
            var sources = store.Corpora.Texts(sourceCorpus);
            var targets = store.Corpora.Texts(targetCorpus);
            var result = PairMiner.Mine(sources, targets, new MiningOptions(Order: order, Encoder: MiniLmSentenceEncoder.Shared), progress, cancellation);
            if (result.Candidates.Count == 0)
                throw new ArgumentException($"'{sourceCorpus}' and '{targetCorpus}' share no content: mining found no candidate pair");
            var candidates = result.Candidates.Select((c, i) => new MiningCandidate(i, sources[c.Source], targets[c.Target], c.Score, c.Similarity)).ToList();
            // A fixed seed: the same corpora give the same sample, so a session can be explained afterwards.
            var sample = StratifiedSample.Draw(candidates.Select(c => c.Score).ToList(), sampleSize, seed: 17)
                .Select(s => new SampleLabel(s.Candidate, s.Score, s.Weight, null));
            cancellation.ThrowIfCancellationRequested();
            return store.Mining.Create(sourceCorpus, targetCorpus, order.ToString(), result.OrderUsed, candidates, sample, result.Threshold,
                result.MeaningModel);
        }, cancellation);
    }

    public MiningSessionRecord Label(int id, int candidate, bool? correct) => store.Mining.Label(id, candidate, correct);

    public void Decide(int id, int candidate, PairDecision decision) => store.Mining.Decide(id, candidate, decision);

    public MiningSessionRecord SetThreshold(int id, double threshold) => store.Mining.SetThreshold(id, threshold);

    /// <summary>The trade-off estimated from the sample's labels so far, over the session's candidates.</summary>
    public static ThresholdEstimate Estimate(MiningSessionRecord session, IReadOnlyList<MiningCandidate> candidates) =>
        ThresholdEstimate.From(Labelled(session), candidates.Select(c => c.Score).ToList());

    /// <summary>The estimate at the session's chosen threshold (which need not be a sampled score).</summary>
    public static ThresholdPoint EstimateAt(MiningSessionRecord session, IReadOnlyList<MiningCandidate> candidates) =>
        ThresholdEstimate.At(session.Threshold, Labelled(session), candidates.Select(c => c.Score).OrderDescending().ToList());

    static List<LabelledCandidate> Labelled(MiningSessionRecord session) =>
        session.Sample.Where(s => s.Correct is not null).Select(s => new LabelledCandidate(s.Score, s.Correct!.Value, s.Weight)).ToList();

    /// <summary>What publishing would add: candidates at or above the threshold that the user did not reject (a sampled one
    /// labelled wrong counts as rejected), and those below it that the user accepted (or labelled correct).</summary>
    public static IReadOnlyList<MiningCandidate> Chosen(MiningSessionRecord session, IReadOnlyList<MiningCandidate> candidates,
        IReadOnlyDictionary<int, PairDecision> decisions)
    {
        var labels = Labels(session);
        return candidates.Where(c => IsChosen(c, session.Threshold, Decision(c.Index, decisions, labels))).ToList();
    }

    /// <summary>The rule of <see cref="Chosen"/> for one candidate: the user's word first, else the threshold.</summary>
    public static bool IsChosen(MiningCandidate candidate, double threshold, PairDecision decision) => decision switch
    {
        PairDecision.Accepted => true,
        PairDecision.Rejected => false,
        _ => candidate.Score >= threshold,
    };

    /// <summary>The sample's judgements so far, by candidate.</summary>
    public static IReadOnlyDictionary<int, bool> Labels(MiningSessionRecord session) =>
        session.Sample.Where(s => s.Correct is not null).ToDictionary(s => s.Candidate, s => s.Correct!.Value);

    /// <summary>The user's word on a candidate: an explicit decision, else its sample label, else none.</summary>
    public static PairDecision Decision(int candidate, IReadOnlyDictionary<int, PairDecision> decisions, IReadOnlyDictionary<int, bool> labels) =>
        decisions.TryGetValue(candidate, out var decision) ? decision
        : labels.TryGetValue(candidate, out bool correct) ? (correct ? PairDecision.Accepted : PairDecision.Rejected)
        : PairDecision.Undecided;

    /// <summary>
    /// Adds the chosen pairs to <paramref name="dataset"/> (created when absent) as a new version, each with its score.
    /// Pairs the dataset already holds (from an earlier publication) are not added again; when none is new, nothing is.
    /// </summary>
    public MiningPublished Publish(int id, string dataset, string style, string instruction)
    {
        dataset = Data.Storage.DatasetNames.Check(dataset.Trim());
        var session = store.Mining.Get(id);
        var candidates = store.Mining.Candidates(id);
        var decisions = store.Mining.Decisions(id);
        style = style.Trim();
        var rows = Chosen(session, candidates, decisions).Select(c => new DatasetRow
        {
            Instruction = instruction.Trim(), Input = c.Source, Output = c.Target, Style = style.Length == 0 ? null : style, Score = c.Score,
        }).ToList();
        if (rows.Count == 0) throw new ArgumentException($"no pair is chosen at threshold {Format(session.Threshold)}: lower it or accept pairs");
        // The same content as DatasetRow.SameContent, hashed (a mined row has no system prompt or history).
        var existing = (store.Datasets().FirstOrDefault(d => d.Name == dataset) is { } found ? store.Rows(found.Id) : [])
            .Where(r => r.System is null && r.History.Count == 0).Select(Key).ToHashSet();
        var fresh = rows.Where(r => existing.Add(Key(r))).ToList();
        if (fresh.Count == 0) throw new ArgumentException($"all {rows.Count} chosen pairs are already in '{dataset}'; nothing was added");
        int reviewed = decisions.Keys.Union(session.Sample.Where(s => s.Correct is not null).Select(s => s.Candidate)).Count();
        var summary = store.AddVersion(dataset, fresh,
            $"mined {fresh.Count} pairs from {session.SourceCorpus} × {session.TargetCorpus} at threshold {Format(session.Threshold)} ({reviewed} reviewed)");
        store.Mining.AddPublication(id, new MiningPublication(dataset, summary.Version, fresh.Count, DateTime.UtcNow));
        return new MiningPublished(dataset, summary.Version, summary.Rows, fresh.Count);
    }

    static (string, string?, string, string?) Key(DatasetRow row) => (row.Instruction, row.Input, row.Output, row.Style);

    public static string Format(double score) => score.ToString("0.###", CultureInfo.InvariantCulture);
}
