using StyleStudio.Training.Generation;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>Log-probabilities of the chosen tokens and, where asked, of each row's most likely ones.</summary>
internal sealed record TokenLogprobs(float[] Picked, long[,]? TopIds, float[,]? TopLogprobs);

/// <summary>
/// Turns logits of many rows into tokens in one pass, each row with its own settings (the engine's rows are different
/// requests): Hugging Face generate()'s processors in its order — repetition penalty, then OpenAI's presence/frequency
/// penalties, min-new-tokens, temperature, top-k, top-p — vectorised over rows with per-row parameters; greedy rows take
/// the argmax, sampled rows the inverse-CDF draw of <see cref="TokenSampler"/> with their own uniform number, so a seeded
/// request picks the same tokens alone or in any batch. Settings, the uniform numbers of each request's draws and the
/// counts of its tokens live per cache slot on the device, written at admission: choosing the tokens of the slots
/// 0 … m−1 (a decode step) copies nothing from the host, so it queues behind the step without waiting for it.
/// </summary>
internal sealed class BatchSampler : IDisposable
{
    readonly Tensor temperature, topP, repetition, presence, frequency;  // [rows, 1] fp32
    readonly Tensor topK;                                                // [rows] int64, vocab for "off"
    readonly Tensor greedy;                                              // [rows] bool
    readonly Tensor outputCounts;                                        // [rows, vocab] fp32: generated tokens
    readonly Tensor promptSeen;                                          // [rows, vocab] bool: prompt tokens
    readonly Tensor uniforms;                                            // [rows, draws] fp32: each request's numbers
    readonly Tensor drawn;                                               // [rows] int64: draws made so far
    readonly long vocab, draws;
    readonly SamplingOptions?[] settings;
    readonly (double Presence, double Frequency)[] penalties;

    /// <param name="draws">The most tokens one request samples (a cache slot's tokens).</param>
    public BatchSampler(int rows, long vocab, long draws, Device device)
    {
        this.vocab = vocab;
        this.draws = draws;
        settings = new SamplingOptions?[rows];
        penalties = new (double, double)[rows];
        Tensor Column(double value) => full([rows, 1], value, ScalarType.Float32, device).DetachFromDisposeScope();
        (temperature, topP, repetition, presence, frequency) = (Column(1), Column(1), Column(1), Column(0), Column(0));
        topK = full([rows], vocab, ScalarType.Int64, device).DetachFromDisposeScope();
        greedy = ones([rows], ScalarType.Bool, device).DetachFromDisposeScope();
        outputCounts = zeros([rows, vocab], ScalarType.Float32, device).DetachFromDisposeScope();
        promptSeen = zeros([rows, vocab], ScalarType.Bool, device).DetachFromDisposeScope();
        uniforms = zeros([rows, draws], ScalarType.Float32, device).DetachFromDisposeScope();
        drawn = zeros([rows], ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>Sets slot <paramref name="row"/> up for a new request.</summary>
    /// <param name="draws">The uniform numbers of its draws in order (sampled requests; null for greedy ones).</param>
    public void Admit(int row, SamplingOptions options, double presencePenalty, double frequencyPenalty, int[] promptIds, float[]? draws)
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
        drawn[row].zero_();
        if (draws is not null)
        {
            if (draws.Length > this.draws) throw new ArgumentException($"{draws.Length} draws, at most {this.draws}", nameof(draws));
            uniforms[row].narrow(0, 0, draws.Length).copy_(tensor(draws));
        }
        if (options.RepetitionPenalty != 1.0)
            promptSeen[row].index_fill_(0, tensor(promptIds.Select(i => (long)i).ToArray(), device: promptSeen.device), true);
    }

    public void Release(int row) => settings[row] = null;

    /// <summary>Whether slot <paramref name="row"/>'s request takes the argmax of its logits as they are (greedy, no
    /// penalties): what <see cref="Choose"/> would do without stop ids to hold back.</summary>
    public bool TakesArgmax(int row) =>
        settings[row] is { Greedy: true, RepetitionPenalty: 1.0 } && penalties[row] == (0, 0);

    /// <summary>
    /// The next token of each row in <paramref name="rows"/> (slot indices), chosen on the device ([m] int64, in the rows'
    /// order) and not read back. Counts it for the penalties and advances the row's draws. Slots without a request
    /// among 0 … m−1 get a token nobody reads.
    /// </summary>
    /// <param name="logits">[m, vocab] for those rows.</param>
    /// <param name="suppress">Per row, the stop ids to forbid (min-new-tokens not reached yet), or null.</param>
    public Tensor Choose(Tensor logits, int[] rows, IReadOnlyList<int>?[] suppress)
    {
        using var scope = NewDisposeScope();
        var active = rows.Select(r => settings[r]).OfType<SamplingOptions>().ToList();
        bool counting = rows.Any(r => settings[r] is { } s && (s.RepetitionPenalty != 1.0 || penalties[r] != (0, 0)));
        // The slots 0 … m−1 (every decode step) are a view; any other set (a prompt pass) is gathered by an index, whose
        // copy from the host waits for the device.
        bool leading = rows.Select((r, i) => r == i).All(same => same);
        Tensor? index = null;
        Tensor Index() => index ??= tensor(rows.Select(r => (long)r).ToArray(), device: logits.device);
        Tensor Rows(Tensor t) => leading ? t.narrow(0, 0, rows.Length) : t.index_select(0, Index());

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

        Tensor chosen;
        if (active.All(s => s.Greedy)) chosen = scores.argmax(-1);
        else
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
                remove.narrow(1, remove.shape[1] - 1, 1).fill_(false);       // the most likely token always stays
                sampled = sampled.masked_fill(remove.scatter(1, order, remove), double.NegativeInfinity);
            }
            // Each row's next number; clamped, since a slot without a request keeps counting.
            var number = Rows(uniforms).gather(1, Rows(drawn).clamp_max(draws - 1).unsqueeze(1)).squeeze(1);
            if (leading) drawn.narrow(0, 0, rows.Length).add_(1);
            else drawn.index_add_(0, Index(), ones([rows.Length], ScalarType.Int64, logits.device), 1);
            var draw = TokenSampler.Draw(sampled.softmax(-1), number);
            // Greedy rows beside sampled ones take the argmax (where every row samples — the playground — a pass less).
            chosen = active.Any(s => s.Greedy) ? where(Rows(greedy), scores.argmax(-1), draw) : draw;
        }
        // Counts of generated tokens, for the presence/frequency and repetition penalties of later steps.
        if (counting)
        {
            var one = ones([rows.Length, 1], ScalarType.Float32, logits.device);
            if (leading) outputCounts.narrow(0, 0, rows.Length).scatter_add_(1, chosen.unsqueeze(1), one);
            else outputCounts.index_put_(one.squeeze(1), [Index(), chosen], accumulate: true);
        }
        return chosen.MoveToOuterDisposeScope();
    }

    /// <summary>Log-probabilities (of the model's distribution, before sampling settings) of <paramref name="chosen"/> and,
    /// for <paramref name="top"/> &gt; 0, of each row's <paramref name="top"/> most likely tokens; read back at once.</summary>
    public static TokenLogprobs Logprobs(Tensor logits, Tensor chosen, int top)
    {
        using var scope = NewDisposeScope();
        var logprobs = logits.to(ScalarType.Float32).log_softmax(-1);
        float[] picked = logprobs.gather(1, chosen.unsqueeze(1)).squeeze(1).cpu().data<float>().ToArray();
        if (top <= 0) return new TokenLogprobs(picked, null, null);
        long rows = logits.shape[0];
        var (topValues, topIndices) = logprobs.topk(top, -1);
        var topIds = new long[rows, top];
        var topLps = new float[rows, top];
        Buffer.BlockCopy(topIndices.cpu().data<long>().ToArray(), 0, topIds, 0, (int)rows * top * sizeof(long));
        Buffer.BlockCopy(topValues.cpu().data<float>().ToArray(), 0, topLps, 0, (int)rows * top * sizeof(float));
        return new TokenLogprobs(picked, topIds, topLps);
    }

    public void Dispose()
    {
        foreach (var t in new[] { temperature, topP, repetition, presence, frequency, topK, greedy, outputCounts, promptSeen, uniforms, drawn }) t.Dispose();
    }
}
