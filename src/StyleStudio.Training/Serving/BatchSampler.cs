using StyleStudio.Training.Generation;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>What the sampler returns for a set of rows: chosen tokens and, where asked, log-probabilities.</summary>
internal sealed record SampledTokens(long[] Ids, float[]? Logprobs, long[,]? TopIds, float[,]? TopLogprobs);

/// <summary>
/// Turns logits of many rows into tokens in one pass, each row with its own settings (the engine's rows are different
/// requests): Hugging Face generate()'s processors in its order — repetition penalty, then OpenAI's presence/frequency
/// penalties, min-new-tokens, temperature, top-k, top-p — vectorised over rows with per-row parameters; greedy rows take
/// the argmax, sampled rows the inverse-CDF draw of <see cref="TokenSampler"/> with their own uniform number, so a seeded
/// request picks the same tokens alone or in any batch. Settings live per cache slot on the device, written at admission.
/// </summary>
internal sealed class BatchSampler : IDisposable
{
    readonly Tensor temperature, topP, repetition, presence, frequency;  // [rows, 1] fp32
    readonly Tensor topK;                                                // [rows] int64, vocab for "off"
    readonly Tensor greedy;                                              // [rows] bool
    readonly Tensor outputCounts;                                        // [rows, vocab] fp32: generated tokens
    readonly Tensor promptSeen;                                          // [rows, vocab] bool: prompt tokens
    readonly long vocab;
    readonly SamplingOptions?[] settings;
    readonly (double Presence, double Frequency)[] penalties;

    public BatchSampler(int rows, long vocab, Device device)
    {
        this.vocab = vocab;
        settings = new SamplingOptions?[rows];
        penalties = new (double, double)[rows];
        Tensor Column(double value) => full([rows, 1], value, ScalarType.Float32, device).DetachFromDisposeScope();
        (temperature, topP, repetition, presence, frequency) = (Column(1), Column(1), Column(1), Column(0), Column(0));
        topK = full([rows], vocab, ScalarType.Int64, device).DetachFromDisposeScope();
        greedy = ones([rows], ScalarType.Bool, device).DetachFromDisposeScope();
        outputCounts = zeros([rows, vocab], ScalarType.Float32, device).DetachFromDisposeScope();
        promptSeen = zeros([rows, vocab], ScalarType.Bool, device).DetachFromDisposeScope();
    }

    /// <summary>Sets slot <paramref name="row"/> up for a new request.</summary>
    public void Admit(int row, SamplingOptions options, double presencePenalty, double frequencyPenalty, int[] promptIds)
    {
        using var scope = NewDisposeScope();
        settings[row] = options;
        penalties[row] = (presencePenalty, frequencyPenalty);
        temperature[row].fill_(options.Greedy ? 1.0 : options.Temperature);
        topP[row].fill_(options.TopP);
        repetition[row].fill_(options.RepetitionPenalty);
        presence[row].fill_(presencePenalty);
        frequency[row].fill_(frequencyPenalty);
        topK[row].fill_(options.TopK > 0 ? Math.Min(options.TopK, vocab) : vocab);
        greedy[row].fill_(options.Greedy);
        outputCounts[row].zero_();
        promptSeen[row].zero_();
        if (options.RepetitionPenalty != 1.0)
            promptSeen[row].index_fill_(0, tensor(promptIds.Select(i => (long)i).ToArray(), device: promptSeen.device), true);
    }

    public void Release(int row) => settings[row] = null;

    /// <param name="logits">[m, vocab] for the rows in <paramref name="rows"/> (slot indices, ascending or not).</param>
    /// <param name="uniforms">Each row's uniform number for this step (ignored for greedy rows).</param>
    /// <param name="suppress">Per row, the stop ids to forbid (min-new-tokens not reached yet), or null.</param>
    /// <param name="topLogprobs">Log-probabilities to return: −1 none, 0 the chosen token's only, N also the N best.</param>
    public SampledTokens Sample(Tensor logits, int[] rows, float[] uniforms, IReadOnlyList<int>?[] suppress, int topLogprobs)
    {
        using var scope = NewDisposeScope();
        var active = rows.Select(r => settings[r]).OfType<SamplingOptions>().ToList();
        bool counting = rows.Any(r => settings[r] is { } s && (s.RepetitionPenalty != 1.0 || penalties[r] != (0, 0)));
        Tensor? index = null;
        Tensor Rows(Tensor t) => t.index_select(0, index ??= tensor(rows.Select(r => (long)r).ToArray(), device: logits.device));

        // Only what some row asks for runs: a batch of plain greedy rows is an argmax over the logits as they are.
        bool plainGreedy = active.All(s => s.Greedy) && !counting && suppress.All(s => s is null or { Count: 0 });
        var scores = plainGreedy ? logits : logits.to(ScalarType.Float32);
        if (active.Any(s => s.RepetitionPenalty != 1.0))
        {
            var seen = Rows(promptSeen).logical_or(Rows(outputCounts) > 0);
            var penalty = Rows(repetition);
            scores = where(seen, where(scores < 0, scores * penalty, scores / penalty), scores);
        }
        if (rows.Any(r => settings[r] is not null && penalties[r] != (0, 0)))
        {
            var counts = Rows(outputCounts);
            scores = scores - counts * Rows(frequency) - (counts > 0).to(ScalarType.Float32) * Rows(presence);
        }
        for (int i = 0; i < rows.Length; i++)
            if (suppress[i] is { Count: > 0 } stopIds)
                scores[i].index_fill_(0, tensor(stopIds.Select(id => (long)id).ToArray(), device: scores.device), double.NegativeInfinity);

        var chosen = scores.argmax(-1);
        if (active.Any(s => !s.Greedy))
        {
            var sampled = scores / Rows(temperature);
            if (active.Any(s => !s.Greedy && s.TopK > 0))
            {
                var kth = sampled.sort(-1, descending: true).Values.gather(1, (Rows(topK) - 1).unsqueeze(1));
                sampled = sampled.masked_fill(sampled < kth, double.NegativeInfinity);
            }
            if (active.Any(s => !s.Greedy && s.TopP < 1.0))
            {
                var (ascending, order) = sampled.sort(-1, descending: false);
                var remove = ascending.softmax(-1).cumsum(-1) <= 1 - Rows(topP);
                remove[.., ^1..] = tensor(false);
                sampled = sampled.masked_fill(remove.scatter(1, order, remove), double.NegativeInfinity);
            }
            var drawn = TokenSampler.Draw(sampled.softmax(-1), tensor(uniforms, device: logits.device));
            chosen = where(Rows(greedy), chosen, drawn);
        }
        // Counts of generated tokens, for the presence/frequency and repetition penalties of later steps.
        if (counting)
            outputCounts.index_put_(ones([rows.Length], ScalarType.Float32, logits.device),
                [index ??= tensor(rows.Select(r => (long)r).ToArray(), device: logits.device), chosen], accumulate: true);

        long[] ids = chosen.cpu().data<long>().ToArray();
        if (topLogprobs < 0) return new SampledTokens(ids, null, null, null);
        var logprobs = logits.to(ScalarType.Float32).log_softmax(-1);
        float[] picked = logprobs.gather(1, chosen.unsqueeze(1)).squeeze(1).cpu().data<float>().ToArray();
        if (topLogprobs == 0) return new SampledTokens(ids, picked, null, null);
        var (topValues, topIndices) = logprobs.topk(topLogprobs, -1);
        var topIds = new long[rows.Length, topLogprobs];
        var topLps = new float[rows.Length, topLogprobs];
        Buffer.BlockCopy(topIndices.cpu().data<long>().ToArray(), 0, topIds, 0, rows.Length * topLogprobs * sizeof(long));
        Buffer.BlockCopy(topValues.cpu().data<float>().ToArray(), 0, topLps, 0, rows.Length * topLogprobs * sizeof(float));
        return new SampledTokens(ids, picked, topIds, topLps);
    }

    public void Dispose()
    {
        foreach (var t in new[] { temperature, topP, repetition, presence, frequency, topK, greedy, outputCounts, promptSeen }) t.Dispose();
    }
}
