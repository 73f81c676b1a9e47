using System.Collections.Concurrent;
using System.Numerics;
using System.Threading.Channels;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>Sizes of one base model's serving engine.</summary>
/// <param name="Rows">Requests decoded together at most (KV cache slots).</param>
/// <param name="SlotTokens">Prompt plus generated tokens one request may hold; capped at the model's context.</param>
/// <param name="PadPrompts">Whether prompt passes pad to a few fixed widths (see <see cref="BatchDecoder.PaddedWidth"/>);
/// null: on CUDA only.</param>
/// <param name="SingleRowKernels">Whether a lone request on the base decodes in our CUDA kernels where they run
/// (<see cref="SingleRowDecoder"/>); off, it takes the batch's op sequence.</param>
/// <param name="PersistentStep">Whether those kernels run a step as one persistent kernel; null: where that is the
/// faster form for the model (<see cref="SingleRowDecoder.PersistentSuits"/>).</param>
/// <param name="PipelineSteps">Whether a decode step is queued before the step before it has been read (its tokens
/// chosen and fed on the device), so that the host's work between steps overlaps the device's; null: on CUDA, where
/// that work would otherwise leave the device idle (on the CPU it would only hand each token out a step later).</param>
public sealed record EngineOptions(int Rows = 8, int SlotTokens = 2048, bool UseCudaGraphs = true, bool? PadPrompts = null,
    bool SingleRowKernels = true, bool? PersistentStep = null, bool? PipelineSteps = null);

/// <summary>A tokenized request for the engine.</summary>
/// <param name="StopIds">Tokens that end the answer (not delivered).</param>
public sealed record EngineRequest(int[] PromptIds, IReadOnlyList<int> StopIds, SamplingOptions Sampling)
{
    /// <summary>The attached adapter this request runs through; null for the base.</summary>
    public string? Adapter { get; init; }
    /// <summary>Scale on the adapter's update, 0–2; 1 is the adapter as trained.</summary>
    public double Strength { get; init; } = 1.0;
    /// <summary>OpenAI's penalties: logits minus presence·[count &gt; 0] minus frequency·count over generated tokens.</summary>
    public double PresencePenalty { get; init; }
    public double FrequencyPenalty { get; init; }
    /// <summary>−1: no log-probabilities; 0: the chosen token's; N: also the N most likely (at most 20).</summary>
    public int TopLogprobs { get; init; } = -1;
}

public sealed record TokenLogprob(int Id, float Logprob);

/// <summary>One generated token, with log-probabilities (of the model's distribution, before sampling settings) when asked.</summary>
public sealed record GeneratedToken(int Id, float? Logprob = null, IReadOnlyList<TokenLogprob>? Top = null);

/// <summary>How a request ended.</summary>
public sealed record EngineOutcome(FinishReason Reason, int PromptTokens, int GeneratedTokens);

/// <summary>A submitted request: its tokens as they are made, and how it ended.</summary>
public sealed class EngineGeneration
{
    internal readonly Channel<GeneratedToken> Channel = System.Threading.Channels.Channel.CreateUnbounded<GeneratedToken>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    internal readonly TaskCompletionSource<EngineOutcome> Outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelReader<GeneratedToken> Tokens => Channel.Reader;
    public Task<EngineOutcome> Completion => Outcome.Task;
}

/// <summary>What the engine is doing now.</summary>
public sealed record EngineLoad(int Running, int Waiting, int Rows);

/// <summary>
/// Continuous batching for one base model: requests join the running batch as soon as a cache slot is free (their
/// prompts prefilled between decode steps) and leave it the step they finish or are cancelled; every row may run through
/// a different adapter at its own strength (see <see cref="AdapterBank"/>), with its own sampling settings and seed.
/// One thread owns the model's device work; callers submit and read channels.
/// </summary>
public sealed class BatchEngine : IDisposable
{
    readonly CausalLM model;
    readonly BatchDecoder decoder;
    readonly BatchSampler sampler;
    readonly HostReadback readback;
    readonly bool pipeline;
    readonly AdapterBank bank;
    readonly ConcurrentQueue<Pending> waiting = new();
    readonly ConcurrentQueue<Action> control = new();
    readonly SemaphoreSlim wake = new(0);
    readonly Row?[] rows;
    readonly Thread thread;
    readonly CancellationTokenSource stopping = new();
    Tensor mask, onehot;            // [rows, 1, K] and [rows, S]: each slot's adapter and strength
    int maskVersion = -1;
    volatile int running;
    Chosen? inFlight;               // a pipelined step queued but not yet read (see EngineOptions.PipelineSteps)

    sealed record Pending(EngineRequest Request, EngineGeneration Generation, CancellationToken Cancellation);

    sealed class Row(Pending pending)
    {
        public Pending Pending { get; } = pending;
        public long Position { get; set; }     // where the next token goes in the slot (of the last step queued)
        public long NextId { get; set; }
        public int Generated { get; set; }     // tokens handed out
        public int Chosen { get; set; }        // tokens whose choice has been queued (one ahead of Generated while pipelined)
    }

    /// <summary>
    /// Tokens chosen on the device for some slots, not yet read: the rows they were chosen for (a slot's row may end, and
    /// another take the slot, before they are read), the position each token would be fed at, and the logits where a
    /// row asked for log-probabilities.
    /// </summary>
    sealed record Chosen(int[] Slots, Row?[] Owners, long[] NextPositions, Tensor Ids, HostReadback.Ticket Ticket, Tensor? Logits,
        int TopLogprobs) : IDisposable
    {
        /// <summary>Whether the step fed its token and position to the next step itself (BatchDecoder.DecodeGreedy).</summary>
        public bool Fed { get; init; }

        public void Dispose()
        {
            Ids.Dispose();
            Logits?.Dispose();
        }
    }

    public BatchEngine(CausalLM model, EngineOptions options)
    {
        this.model = model;
        long slotTokens = Math.Min(options.SlotTokens, model.Config.MaxPositionEmbeddings);
        decoder = new BatchDecoder(model, options.Rows, slotTokens, options.UseCudaGraphs,
            options.PadPrompts ?? model.Device.type == DeviceType.CUDA, BatchInvariance.RowMultiple(model.Device, model.DType),
            options.SingleRowKernels, options.PersistentStep);
        sampler = new BatchSampler(options.Rows, model.Config.VocabSize, slotTokens, model.Device);
        readback = new HostReadback(model.Device, options.Rows);
        pipeline = options.PipelineSteps ?? model.Device.type == DeviceType.CUDA;
        bank = new AdapterBank(model);
        rows = new Row?[options.Rows];
        (mask, onehot) = (empty(0), empty(0));
        thread = new Thread(Loop) { IsBackground = true, Name = "StyleStudio batch engine" };
        thread.Start();
    }

    public CausalLM Model => model;
    public long SlotTokens => decoder.SlotTokens;
    /// <summary>Whether <see cref="SlotTokens"/> is the model's whole context.</summary>
    public bool LimitIsContext => decoder.SlotTokens == model.Config.MaxPositionEmbeddings;
    public long CacheBytes => decoder.CacheBytes;
    /// <summary>Whether a lone request on the base decodes in our CUDA kernels.</summary>
    public bool SingleRowKernels => decoder.SingleRowKernels;

    /// <summary>Whether that step is one persistent kernel (see <see cref="SingleRowDecoder"/>).</summary>
    public bool PersistentStep => decoder.PersistentStep;

    /// <summary>Whether a lone greedy request's token is chosen on the device by its step (BatchDecoder.DecodeGreedy)
    /// where the kernels run (internal: the tests and the benchmark run the form before); set before the first request.</summary>
    internal bool GreedyOnDevice { get => decoder.GreedyOnDevice; set => decoder.GreedyOnDevice = value; }

    /// <summary>Steps whose token was chosen on the device so far (for the tests).</summary>
    internal long StepsChosenOnDevice => decoder.GreedySteps;

    /// <summary>Whether a lone base prompt's pass is replayed from a CUDA graph (internal: the benchmark runs the form
    /// before); set between requests.</summary>
    internal bool PrefillGraphs { get => decoder.PrefillGraphs; set => decoder.PrefillGraphs = value; }

    /// <summary>Padded widths whose lone prompt pass has been captured (for the tests).</summary>
    internal IReadOnlyCollection<int> PrefillGraphWidths => decoder.PrefillGraphWidths;
    /// <summary>Device bytes the attached adapters take (their own tensors and the bank's concatenation).</summary>
    public long AdapterBytes => bank.Bytes;
    public EngineLoad Load => new(running, waiting.Count, rows.Length);

    /// <summary>The adapters attached now (read on any thread: a snapshot).</summary>
    public IReadOnlyList<AttachedAdapter> Adapters { get; private set; } = [];

    /// <summary>Queues a request; its tokens arrive on the returned channel. Cancelling frees its slot at the next step.</summary>
    public EngineGeneration Submit(EngineRequest request, CancellationToken cancellation = default)
    {
        request.Sampling.Validate();
        if (request.PromptIds.Length == 0) throw new ArgumentException("the prompt has no tokens", nameof(request));
        if (request.PromptIds.Any(id => id < 0 || id >= model.Config.VocabSize))
            throw new ArgumentException($"prompt token ids must be in [0, {model.Config.VocabSize})", nameof(request));
        long needed = request.PromptIds.Length + (long)request.Sampling.MaxNewTokens;
        if (needed > SlotTokens)
            throw new ContextLengthException(request.PromptIds.Length, request.Sampling.MaxNewTokens, SlotTokens, LimitIsContext);
        if (request.Strength is < 0 or > 2 || double.IsNaN(request.Strength))
            throw new ArgumentOutOfRangeException(nameof(request.Strength), request.Strength, "style strength must be between 0 and 2");
        if (request.TopLogprobs > 20) throw new ArgumentOutOfRangeException(nameof(request.TopLogprobs), request.TopLogprobs, "top logprobs must be at most 20");
        if (request.Adapter is { } name && Adapters.All(a => a.Name != name))
            throw new ArgumentException($"no adapter '{name}' is attached to this model", nameof(request));
        ObjectDisposedException.ThrowIf(stopping.IsCancellationRequested, this);
        var generation = new EngineGeneration();
        waiting.Enqueue(new Pending(request, generation, cancellation));
        wake.Release();
        return generation;
    }

    /// <summary>Reads an adapter folder (on the caller's thread) and attaches it between two steps.</summary>
    public Task<AttachedAdapter> AttachAsync(string name, string folder) => OnEngine(() =>
    {
        var adapter = bank.Add(name, folder);
        Adapters = bank.Adapters;
        return adapter;
    });

    /// <summary>Detaches an adapter; refused while requests run through it.</summary>
    public Task DetachAsync(string name) => OnEngine(() =>
    {
        int users = rows.Count(r => r?.Pending.Request.Adapter == name) + waiting.Count(p => p.Request.Adapter == name);
        if (users > 0) throw new InvalidOperationException($"adapter '{name}' is serving {users} request(s); detach it when they end");
        bank.Remove(name);
        Adapters = bank.Adapters;
        return true;
    });

    /// <summary>
    /// log p(ids[t+1] | ids[..t]) for every t, through <paramref name="adapter"/> at <paramref name="strength"/>: the
    /// likelihood of a text (e.g. a reference answer) under the served style. Runs between two decode steps.
    /// </summary>
    public Task<float[]> TokenLogprobsAsync(int[] ids, string? adapter, double strength = 1.0)
    {
        if (ids.Length < 2) throw new ArgumentException("scoring needs at least two tokens", nameof(ids));
        if (ids.Length > SlotTokens) throw new ContextLengthException(ids.Length, 0, SlotTokens, LimitIsContext);
        return OnEngine(() =>
        {
            using var scope = NewDisposeScope();
            var rowMask = zeros([1, 1, Math.Max(1, bank.Columns)], model.DType, model.Device);
            var rowOnehot = zeros([1, bank.Slots], model.DType, model.Device);
            FillRow(rowMask[0], rowOnehot[0], adapter, strength);
            var logits = decoder.Score(ids, rowMask, rowOnehot, bank)[0].to(ScalarType.Float32);     // [T, vocab]
            var next = tensor(ids.Skip(1).Select(i => (long)i).ToArray(), device: model.Device).unsqueeze(1);
            return logits.narrow(0, 0, ids.Length - 1).log_softmax(-1).gather(1, next).squeeze(1).cpu().data<float>().ToArray();
        });
    }

    Task<T> OnEngine<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        control.Enqueue(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception e) { done.SetException(e); }
        });
        wake.Release();
        return done.Task;
    }

    void Loop()
    {
        using var noGrad = no_grad();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                while (control.TryDequeue(out var action))
                {
                    Drain();
                    action();
                }
                Admit();
                if (running == 0)
                {
                    Drain();
                    wake.Wait(stopping.Token);
                    continue;
                }
                Step();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // A failure of the device work fails the requests in flight, not the engine.
                inFlight?.Dispose();
                inFlight = null;
                for (int slot = 0; slot < rows.Length; slot++)
                    if (rows[slot] is { } row) Finish(slot, row, e);
            }
        }
        for (int slot = 0; slot < rows.Length; slot++)
            if (rows[slot] is { } row) Finish(slot, row, FinishReason.Cancelled);
        while (waiting.TryDequeue(out var pending)) Abandon(pending);
    }

    /// <summary>Ends a request that never got a slot (cancelled while waiting, or the engine stopping): its token
    /// channel completes too, so a reader waiting for tokens ends instead of waiting forever.</summary>
    static void Abandon(Pending pending)
    {
        pending.Generation.Channel.Writer.TryComplete();
        pending.Generation.Outcome.TrySetResult(new(FinishReason.Cancelled, pending.Request.PromptIds.Length, 0));
    }

    /// <summary>Padded prompt tokens one prefill pass takes at most (rows × longest prompt): bounds its activations.</summary>
    const long PrefillTokens = 16384;

    /// <summary>
    /// Takes waiting requests into free slots (lowest first, so the batch stays compact), prefills them together — one
    /// pass per padded width — and samples their first tokens.
    /// </summary>
    void Admit()
    {
        var admitted = new List<int>();
        while (Array.IndexOf(rows, null) is var slot and >= 0 && waiting.TryDequeue(out var pending))
        {
            if (pending.Cancellation.IsCancellationRequested)
            {
                Abandon(pending);
                continue;
            }
            Drain();                           // a prompt pass and its first tokens see every earlier step handed out
            var request = pending.Request;
            var options = request.Sampling;
            float[]? uniforms = null;
            if (!options.Greedy)
            {
                // The same numbers TokenSampler draws for this seed: a seeded request picks the same tokens here as alone.
                using var generator = new Generator((ulong)(options.Seed ?? Random.Shared.NextInt64()));
                using var drawn = rand([options.MaxNewTokens, 1], generator: generator);
                uniforms = drawn.data<float>().ToArray();
            }
            var row = new Row(pending) { Position = request.PromptIds.Length };
            rows[slot] = row;
            running++;
            try
            {
                EnsureMasks();
                WriteMask(slot, request);
                sampler.Admit(slot, options, request.PresencePenalty, request.FrequencyPenalty, request.PromptIds, uniforms);
                admitted.Add(slot);
            }
            catch (Exception e)
            {
                Finish(slot, row, e);
            }
        }
        if (admitted.Count == 0) return;

        // Grouped by padded width: a prompt padded further for a longer neighbour would round differently than alone.
        foreach (var sameWidth in admitted.GroupBy(slot => decoder.Width(rows[slot]!.Pending.Request.PromptIds.Length)).OrderBy(g => g.Key))
            foreach (var group in sameWidth.Chunk((int)Math.Max(1, PrefillTokens / sameWidth.Key)))
                Prefill([.. group]);
    }

    void Prefill(List<int> slots)
    {
        try
        {
            using var scope = NewDisposeScope();
            var index = tensor(slots.Select(s => (long)s).ToArray(), device: model.Device);
            bool adapted = slots.Any(s => rows[s]!.Pending.Request.Adapter is not null);
            var logits = decoder.Prefill(slots.Select(s => rows[s]!.Pending.Request.PromptIds).ToList(), [.. slots],
                mask.index_select(0, index), onehot.index_select(0, index), adapted ? bank : null);
            HandOut(Choose([.. slots], logits, [.. slots.Select(s => rows[s]!.Position)]));
        }
        catch (Exception e)
        {
            foreach (var slot in slots)
                if (rows[slot] is { } row) Finish(slot, row, e);
        }
    }

    /// <summary>
    /// One token for every running row. Pipelined, the step after is queued — its tokens those this step chose, still
    /// on the device — before this step's tokens are read and handed out, unless something waits for the engine between
    /// steps (a request a free slot could take, an adapter to attach, a text to score): the host's work per token then
    /// overlaps the device's instead of leaving it idle. A row that ends with this step's token has had one more queued;
    /// it is never handed out.
    /// </summary>
    void Step()
    {
        if (inFlight is { } queued)
        {
            inFlight = null;
            if (KeepsPipelining()) inFlight = Queue(queued);
            HandOut(queued);
            return;
        }
        var chosen = Queue(null);
        if (pipeline && KeepsPipelining()) inFlight = chosen;
        else HandOut(chosen);
    }

    bool KeepsPipelining() => pipeline && running > 0 && control.IsEmpty && (waiting.IsEmpty || Array.IndexOf(rows, null) < 0)
        && SomeRowNeedsAnotherStep();

    /// <summary>Whether a row takes a token beyond those already queued: a step queued past every row's last token would
    /// hold up the next request's prompt pass (one step's time to its first token) for nothing.</summary>
    bool SomeRowNeedsAnotherStep()
    {
        foreach (var row in rows)
            if (row is not null && row.Chosen < row.Pending.Request.Sampling.MaxNewTokens && row.Position < decoder.SlotTokens) return true;
        return false;
    }

    /// <summary>Decode steps queued so far (for the tests).</summary>
    internal long StepsQueued { get; private set; }

    /// <summary>Hands out the queued step's tokens, if one is queued.</summary>
    void Drain()
    {
        if (inFlight is not { } queued) return;
        inFlight = null;
        HandOut(queued);
    }

    /// <summary>
    /// Queues a decode step of slots 0 … n−1 (n rounded up to a power of two where steps are captured as graphs — fewer
    /// shapes —, the highest running slot plus one where rows are computed one by one: the CPU, see
    /// <see cref="BatchInvariance"/>) and the choice of its tokens. Free slots among them compute nothing anyone reads.
    /// </summary>
    /// <param name="before">The step queued before, whose tokens this one feeds; null: feed each row's last handed-out
    /// token from the host.</param>
    Chosen Queue(Chosen? before)
    {
        StepsQueued++;
        int highest = Array.FindLastIndex(rows, r => r is not null);
        int n = decoder.RowWise ? highest + 1 : Math.Min(rows.Length, (int)BitOperations.RoundUpToPowerOf2((uint)(highest + 1)));
        var ids = new long[n];
        var positions = new long[n];
        long furthest = 0;
        for (int slot = 0; slot < n; slot++)
        {
            if (rows[slot] is not { } row) continue;
            ids[slot] = row.NextId;
            positions[slot] = row.Position;
            furthest = Math.Max(furthest, row.Position);
        }
        // Attention reads the cache up to a power-of-two span (at least 128) covering every row's position.
        long span = Math.Min(decoder.SlotTokens, Math.Max(128, (long)BitOperations.RoundUpToPowerOf2((ulong)(furthest + 1))));
        EnsureMasks();
        using var scope = NewDisposeScope();
        bool adapted = rows.Take(n).Any(r => r?.Pending.Request.Adapter is not null);
        var (rowMask, rowOnehot, rowBank) = (mask.narrow(0, 0, n), onehot.narrow(0, 0, n), adapted ? bank : null);
        // A lone greedy row on the base: its step chooses the token on the device and feeds the next step itself.
        bool onDevice = n == 1 && !adapted && decoder.ChoosesGreedyOnDevice && rows[0] is { } lone && TakesArgmax(0, lone);
        Tensor? logits = null, chosenIds = null;
        if (onDevice)
            chosenIds = decoder.DecodeGreedy(before is null ? (ids[0], positions[0]) : null, before?.Ids, before?.Fed == true, span);
        else
            logits = before is null
                ? decoder.Decode(ids, positions, n, span, rowMask, rowOnehot, rowBank)
                : decoder.DecodeNext(before.Ids, n, span, rowMask, rowOnehot, rowBank, fed: before.Fed);
        var slots = new int[n];
        var next = new long[n];
        for (int slot = 0; slot < n; slot++)
        {
            slots[slot] = slot;
            if (rows[slot] is { } row) next[slot] = ++row.Position;
        }
        return Choose(slots, logits, next, chosenIds);
    }

    /// <summary>Whether the row's next token is the argmax of its logits as they are: greedy, no penalties, no stop ids
    /// held back (min-new-tokens), no log-probabilities asked for.</summary>
    bool TakesArgmax(int slot, Row row)
    {
        var request = row.Pending.Request;
        return sampler.TakesArgmax(slot) && request.TopLogprobs < 0
            && !(row.Chosen < request.Sampling.MinNewTokens && request.StopIds.Count > 0);
    }

    /// <summary>Queues the choice of the given slots' next tokens from <paramref name="logits"/> and their read.</summary>
    /// <param name="nextPositions">Where each token would be fed (a slot without room for it ends its request).</param>
    /// <param name="chosenOnDevice">The tokens, where the step chose them itself (<paramref name="logits"/> is then null).</param>
    Chosen Choose(int[] slots, Tensor? logits, long[] nextPositions, Tensor? chosenOnDevice = null)
    {
        var owners = slots.Select(s => rows[s]).ToArray();
        var suppress = new IReadOnlyList<int>?[slots.Length];
        int topLogprobs = -1;
        for (int i = 0; i < owners.Length; i++)
        {
            if (owners[i] is not { } row) continue;
            var request = row.Pending.Request;
            if (row.Chosen++ < request.Sampling.MinNewTokens) suppress[i] = request.StopIds;
            topLogprobs = Math.Max(topLogprobs, request.TopLogprobs);
        }
        if (chosenOnDevice is not null)
            return new Chosen(slots, owners, nextPositions, chosenOnDevice.DetachFromDisposeScope(), readback.Start(chosenOnDevice), null, -1)
                { Fed = true };
        var ids = sampler.Choose(logits!, slots, suppress);
        var ticket = readback.Start(ids);
        return new Chosen(slots, owners, nextPositions, ids.DetachFromDisposeScope(), ticket,
            topLogprobs >= 0 ? logits!.DetachFromDisposeScope() : null, topLogprobs);
    }

    /// <summary>Reads chosen tokens, hands them out to the rows they were chosen for, and ends finished rows.</summary>
    void HandOut(Chosen chosen)
    {
        using var owned = chosen;
        long[] ids = readback.Finish(chosen.Ticket);
        var logprobs = chosen.TopLogprobs >= 0 ? BatchSampler.Logprobs(chosen.Logits!, chosen.Ids, chosen.TopLogprobs) : null;
        for (int i = 0; i < chosen.Slots.Length; i++)
        {
            int slot = chosen.Slots[i];
            if (rows[slot] is not { } row || row != chosen.Owners[i]) continue;
            var request = row.Pending.Request;
            int id = (int)ids[i];
            if (row.Pending.Cancellation.IsCancellationRequested)
            {
                Finish(slot, row, FinishReason.Cancelled);
                continue;
            }
            if (request.StopIds.Contains(id))
            {
                Finish(slot, row, FinishReason.Eos);
                continue;
            }
            IReadOnlyList<TokenLogprob>? top = null;
            if (request.TopLogprobs > 0 && logprobs?.TopIds is { } topIds)
                top = Enumerable.Range(0, request.TopLogprobs).Select(k => new TokenLogprob((int)topIds[i, k], logprobs.TopLogprobs![i, k])).ToList();
            row.Pending.Generation.Channel.Writer.TryWrite(new GeneratedToken(id, request.TopLogprobs >= 0 ? logprobs?.Picked[i] : null, top));
            row.Generated++;
            row.NextId = id;
            if (row.Generated >= request.Sampling.MaxNewTokens || chosen.NextPositions[i] >= decoder.SlotTokens)
                Finish(slot, row, FinishReason.Length);
        }
    }

    void Finish(int slot, Row row, FinishReason reason)
    {
        Release(slot);
        row.Pending.Generation.Channel.Writer.TryComplete();
        row.Pending.Generation.Outcome.TrySetResult(new EngineOutcome(reason, row.Pending.Request.PromptIds.Length, row.Generated));
    }

    void Finish(int slot, Row row, Exception error)
    {
        Release(slot);
        row.Pending.Generation.Channel.Writer.TryComplete(error);
        row.Pending.Generation.Outcome.TrySetException(error);
    }

    void Release(int slot)
    {
        if (rows[slot] is null) return;
        rows[slot] = null;
        running--;
        sampler.Release(slot);
    }

    /// <summary>Rebuilds the adapter mask buffers when the bank changed (every running row's entry rewritten).</summary>
    void EnsureMasks()
    {
        if (maskVersion == bank.Version) return;
        decoder.ForgetGraphs();
        mask.Dispose();
        onehot.Dispose();
        mask = zeros([rows.Length, 1, Math.Max(1, bank.Columns)], model.DType, model.Device).DetachFromDisposeScope();
        onehot = zeros([rows.Length, bank.Slots], model.DType, model.Device).DetachFromDisposeScope();
        maskVersion = bank.Version;
        for (int slot = 0; slot < rows.Length; slot++)
            WriteMask(slot, rows[slot]?.Pending.Request);
    }

    void WriteMask(int slot, EngineRequest? request)
    {
        mask[slot].zero_();
        onehot[slot].zero_();
        FillRow(mask[slot], onehot[slot], request?.Adapter, request?.Strength ?? 1.0);
    }

    /// <summary>A row's adapter choice: its strength on the adapter's columns of <paramref name="maskRow"/> [1, K], and
    /// a one in <paramref name="onehotRow"/> [S] at the adapter's slot (0 for the base). Both start zeroed.</summary>
    void FillRow(Tensor maskRow, Tensor onehotRow, string? adapterName, double strength)
    {
        var adapter = adapterName is null ? null
            : bank.Find(adapterName) ?? throw new ArgumentException($"no adapter '{adapterName}' is attached to this model");
        if (adapter is not null) maskRow[0].narrow(0, bank.ColumnOffset(adapter), adapter.Rank).fill_(strength);
        onehotRow[adapter?.Slot ?? 0].fill_(1);
    }

    public void Dispose()
    {
        stopping.Cancel();
        thread.Join();
        inFlight?.Dispose();
        decoder.Dispose();
        sampler.Dispose();
        readback.Dispose();
        bank.Dispose();
        mask.Dispose();
        onehot.Dispose();
        stopping.Dispose();
        wake.Dispose();
    }
}

/// <summary>A request longer than a serving slot (the model's context, or less where configured).</summary>
/// <param name="modelContext">Whether the limit is the model's context (rather than a serving setting below it).</param>
public sealed class ContextLengthException(int promptTokens, int maxNewTokens, long limit, bool modelContext) : ArgumentException(
    $"the prompt is {promptTokens} tokens and up to {maxNewTokens} more are asked for: {promptTokens + (long)maxNewTokens} in all, " +
    (modelContext ? $"beyond the model's context of {limit} tokens" : $"beyond the {limit} tokens a request may hold here (Studio:Serving:SlotTokens)"))
{
    public int PromptTokens { get; } = promptTokens;
    public long Limit { get; } = limit;
}
