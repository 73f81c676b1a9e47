using System.Numerics;
using System.Reflection;
using StyleStudio.Training.Models;
using StyleStudio.Training.Models.Compiled;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>
/// The serving engine's forward passes (serve_step.torchscript) over a pool of KV cache slots, one per batch row:
/// prefill puts one prompt into its slot; decode advances n rows by a token each, every row at its own position and
/// through its own adapter. On CUDA each (rows, span, adapter bank) shape of the decode step is captured once as a CUDA
/// graph and replayed: scripted, a step still issues ~30 kernels per layer from the host, and for small models the GPU
/// finishes each sooner than the host issues the next.
/// </summary>
/// <remarks>Used by one thread (the engine's) at a time.</remarks>
internal sealed class BatchDecoder : IDisposable
{
    static readonly string Source = ReadSource();
    const int GraphWarmups = 3;

    readonly CausalLM model;
    readonly jit.CompilationUnit unit;
    readonly Tensor absent;
    readonly Tensor[] layerWeights, postNorms;
    readonly Tensor[] keys, values;                          // [rows, KV, slot tokens, D] per layer
    readonly Scalar rmsNormEps, maskMinValue;               // owned: see CompiledDecoder on temporaries and the GC
    readonly Tensor graphIds, graphPositions;               // a captured decode's inputs: [rows, 1] and [rows]
    readonly Dictionary<(int Rows, long Span, int Bank), (CudaGraph Graph, Tensor Logits)> graphs = [];   // Bank −1: base path
    readonly bool useGraphs, padPrompts;
    readonly SingleRowDecoder? singleRow;                   // a lone base row's step in our kernels, where they run
    readonly Tensor greedyChoice;                           // [1] int64: that step's token, chosen on the device
    CudaGraph? singleRowGraph, singleRowGreedyGraph;
    readonly Dictionary<int, PrefillGraph> prefillGraphs = [];   // a lone base prompt's pass, by padded width
    Tensor? prefillLogits;                                   // [1, vocab]: what every such graph writes

    /// <summary>A captured prompt pass and the buffers it reads: the prompt (padded), its length and its slot.</summary>
    sealed record PrefillGraph(CudaGraph Graph, Tensor Ids, Tensor Length, Tensor Slot);

    /// <summary>
    /// The widest lone prompt whose pass is captured as a CUDA graph. Scripted, a prompt pass issues ~35 kernels a layer
    /// from the host, which at these widths takes longer than the GPU does: at Qwen2.5-0.5B on an H200 a lone 64-token
    /// prompt took 18 ms to its first token, 25 at 7B, most of it the host issuing kernels. Up to this width the passes'
    /// graphs share one memory pool (they never run at once and keep nothing in it), so they hold one pass's activations.
    /// </summary>
    internal const int GraphedPrefillWidth = 1024;

    public int Rows { get; }
    public long SlotTokens { get; }

    /// <summary>Models the script covers: no MLP bias, unquantized projections.</summary>
    public static bool Supports(CausalLM model) => !model.Config.MlpBias && !model.IsQuantized;

    /// <param name="rowMultiple">Prompt passes pad their products to a multiple of this many rows (see <see cref="BatchInvariance"/>).</param>
    /// <param name="singleRowKernels">Whether a step of one base row runs in <see cref="SingleRowDecoder"/>'s kernels where they can.</param>
    /// <param name="persistentStep">Whether those kernels are one persistent kernel a step; null: where that suits the
    /// model (<see cref="SingleRowDecoder.PersistentSuits"/>).</param>
    public BatchDecoder(CausalLM model, int rows, long slotTokens, bool useCudaGraphs, bool padPrompts, int rowMultiple, bool singleRowKernels = true,
        bool? persistentStep = null)
    {
        if (!Supports(model)) throw new NotSupportedException("the serving engine covers neither MLP biases nor 4-bit bases");
        this.model = model;
        Rows = rows;
        SlotTokens = slotTokens;
        unit = jit.compile(Source);
        absent = empty(0, model.DType, model.Device).DetachFromDisposeScope();
        layerWeights = model.Model.Layers.SelectMany(layer => CompiledDecoder.LayerWeights(layer, absent)).ToArray();
        postNorms = CompiledDecoder.PostNorms(model);
        rmsNormEps = model.Config.RmsNormEps.ToScalar();
        maskMinValue = AttentionMask.MinValue(model.DType).ToScalar();
        var config = model.Config;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            // Zeroed: attention masks unfilled slots, but masked NaN would still poison the weighted sum.
            keys[layer] = zeros([rows, config.NumKeyValueHeads, slotTokens, config.HeadDim], model.DType, model.Device).DetachFromDisposeScope();
            values[layer] = zeros([rows, config.NumKeyValueHeads, slotTokens, config.HeadDim], model.DType, model.Device).DetachFromDisposeScope();
        }
        graphIds = zeros([rows, 1], ScalarType.Int64, model.Device).DetachFromDisposeScope();
        graphPositions = zeros([rows], ScalarType.Int64, model.Device).DetachFromDisposeScope();
        greedyChoice = zeros([1], ScalarType.Int64, model.Device).DetachFromDisposeScope();
        useGraphs = useCudaGraphs && model.Device.type == DeviceType.CUDA && model.Device.index <= 0 && CudaGraph.IsAvailable;
        this.padPrompts = padPrompts;
        RowMultiple = rowMultiple;
        RowWise = model.Device.type == DeviceType.CPU;
        if (singleRowKernels && SingleRowDecoder.Unsupported(model) is null)
            singleRow = new SingleRowDecoder(model, layerWeights, keys, values, slotTokens, graphIds, graphPositions, persistentStep);
    }

    /// <summary>Whether a lone base row decodes in our kernels (<see cref="SingleRowDecoder"/>).</summary>
    public bool SingleRowKernels => singleRow is not null;

    /// <summary>
    /// Whether a lone base row's greedy token can be chosen on the device and fed to the next step there
    /// (<see cref="DecodeGreedy"/>): where the row's step runs in our kernels.
    /// </summary>
    public bool ChoosesGreedyOnDevice => singleRow is not null && GreedyOnDevice;

    /// <summary>Whether <see cref="DecodeGreedy"/> is offered where it can be (internal: the tests and the benchmark run
    /// the form before).</summary>
    internal bool GreedyOnDevice { get; set; } = true;

    /// <summary>Steps run through <see cref="DecodeGreedy"/> so far (for the tests).</summary>
    internal long GreedySteps { get; private set; }

    /// <summary>The lone base row's kernels, where they run (internal: for the serve benchmark's profile).</summary>
    internal SingleRowDecoder? LoneRowDecoder => singleRow;

    /// <summary>Whether that step is one persistent kernel.</summary>
    public bool PersistentStep => singleRow?.Persistent == true;

    /// <summary>Prompt passes pad the rows of their products to a multiple of this many.</summary>
    public int RowMultiple { get; }

    /// <summary>
    /// Whether decode steps multiply each row on its own (serve_step's <c>product</c>): on the CPU, where that is what a
    /// single row costs anyway and a row then rounds the same beside any others (see <see cref="BatchInvariance"/>).
    /// </summary>
    public bool RowWise { get; }

    /// <summary>
    /// The width a prompt of <paramref name="length"/> tokens is padded to: its <see cref="PaddedWidth"/> where padding is
    /// on, and a multiple of <see cref="RowMultiple"/>. Prompts share a pass only with prompts of the same width (the
    /// engine groups them so): a prompt's arithmetic then never depends on which prompts arrived with it.
    /// </summary>
    public int Width(int length)
    {
        int width = padPrompts ? PaddedWidth(length, SlotTokens) : length;
        return (int)Math.Max(width, Math.Min(SlotTokens, (width + RowMultiple - 1) / RowMultiple * RowMultiple));
    }

    /// <summary>
    /// The width a prompt pass pads to: 64, then two sizes per doubling (96, 128, 192, 256, 384, 512, 768, …; at most half
    /// again the longest prompt), capped at the slot. On CUDA a pass of a shape not seen before costs far more than its
    /// tokens — cuDNN plans its attention anew and TorchScript specialises its fused kernels: 70–100 ms against 12–20 ms for
    /// a shape seen before (Qwen2.5-0.5B, H200, tools/reference/profile_serve_step.py --first-calls) — so prompts of
    /// nearby lengths share one. Right padding is invisible to the real tokens: attention is causal.
    /// </summary>
    internal static int PaddedWidth(int longest, long slotTokens)
    {
        int width = longest <= 64 ? 64 : Round(longest, 1 << (BitOperations.Log2((uint)(longest - 1)) - 1));
        return (int)Math.Max(longest, Math.Min(width, slotTokens));

        static int Round(int value, int step) => (value + step - 1) / step * step;
    }

    /// <summary>Bytes the KV slots take on the device.</summary>
    public long CacheBytes => keys.Concat(values).Sum(t => t.NumberOfElements * t.ElementSize);

    /// <summary>Runs prompts into their cache slots in one pass (right-padded to the longest, or to its <see cref="PaddedWidth"/>); returns
    /// each one's last-token logits [m, vocab].</summary>
    /// <param name="mask">[m, 1, K] each row's strength on its adapter's columns.</param>
    /// <param name="onehot">[m, S] each row's adapter slot.</param>
    public Tensor Prefill(IReadOnlyList<int[]> prompts, int[] slots, Tensor mask, Tensor onehot, AdapterBank? bank)
    {
        using var scope = NewDisposeScope();
        int width = prompts.Max(p => Width(p.Length));
        if (useGraphs && PrefillGraphs && prompts.Count == 1 && bank is null && width <= GraphedPrefillWidth)
            return GraphedPrefill(prompts[0], slots[0], width).MoveToOuterDisposeScope();
        var padded = new long[prompts.Count * width];
        for (int row = 0; row < prompts.Count; row++)
            for (int i = 0; i < prompts[row].Length; i++) padded[row * width + i] = prompts[row][i];
        var ids = tensor(padded, [prompts.Count, width], device: model.Device);
        var lengths = tensor(prompts.Select(p => (long)p.Length).ToArray(), device: model.Device);
        var slotIndex = tensor(slots.Select(s => (long)s).ToArray(), device: model.Device);
        return Invoke("prefill", [ids, lengths, slotIndex, RowMultiple], keys, values, mask, onehot, bank).MoveToOuterDisposeScope();
    }

    /// <summary>Whether a lone base prompt's pass is replayed from a CUDA graph where graphs are on (internal: the tests
    /// and the benchmark run the form before).</summary>
    internal bool PrefillGraphs { get; set; } = true;

    /// <summary>Widths whose lone prompt pass has been captured (for the tests).</summary>
    internal IReadOnlyCollection<int> PrefillGraphWidths => prefillGraphs.Keys;

    /// <summary>A lone base prompt's pass replayed from the graph of its padded width (captured on first use); the same
    /// kernels as the scripted pass, so the same logits and cache.</summary>
    Tensor GraphedPrefill(int[] prompt, int slot, int width)
    {
        if (!prefillGraphs.TryGetValue(width, out var captured))
        {
            prefillLogits ??= empty([1, model.Config.VocabSize], model.DType, model.Device).DetachFromDisposeScope();
            var ids = zeros([1, width], ScalarType.Int64, model.Device).DetachFromDisposeScope();
            var length = zeros([1], ScalarType.Int64, model.Device).DetachFromDisposeScope();
            var slotIndex = zeros([1], ScalarType.Int64, model.Device).DetachFromDisposeScope();
            var logits = prefillLogits;
            Load(ids, length, slotIndex);
            var graph = CudaGraph.Capture(model.Device, () =>
            {
                using var scope = NewDisposeScope();
                logits.copy_(Invoke("prefill", [ids, length, slotIndex, RowMultiple], keys, values, absent, absent, null));
            }, GraphWarmups, sharePoolWith: prefillGraphs.Values.FirstOrDefault()?.Graph);
            prefillGraphs[width] = captured = new PrefillGraph(graph, ids, length, slotIndex);
        }
        else Load(captured.Ids, captured.Length, captured.Slot);
        captured.Graph.Replay();
        return prefillLogits!.clone();

        void Load(Tensor ids, Tensor length, Tensor slotIndex)
        {
            using var scope = NewDisposeScope();
            var padded = new long[width];
            for (int i = 0; i < prompt.Length; i++) padded[i] = prompt[i];
            ids.copy_(tensor(padded, [1, width]));
            length.fill_(prompt.Length);
            slotIndex.fill_(slot);
        }
    }

    /// <summary>Every position's logits [1, T, vocab] of <paramref name="ids"/>, through the adapter <paramref name="mask"/> selects.</summary>
    public Tensor Score(int[] ids, Tensor mask, Tensor onehot, AdapterBank bank)
    {
        using var scope = NewDisposeScope();
        var input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length], device: model.Device);
        var noSlots = zeros([1], ScalarType.Int64, model.Device);
        return Invoke("score", [input, noSlots], keys, values, mask, onehot, bank).MoveToOuterDisposeScope();
    }

    /// <summary>Feeds <paramref name="ids"/>[i] at position <paramref name="positions"/>[i] of slot i, for slots 0 … n−1.</summary>
    /// <param name="span">Cache positions attention reads (every row's position is below it).</param>
    /// <param name="mask">[n, 1, K]; <paramref name="onehot"/> [n, S]: each row's adapter, as for prefill.</param>
    /// <returns>Logits [n, vocab], a tensor of the caller's own.</returns>
    public Tensor Decode(long[] ids, long[] positions, int n, long span, Tensor mask, Tensor onehot, AdapterBank? bank)
    {
        Feed(ids, positions, n);
        return Step(n, span, mask, onehot, bank);
    }

    void Feed(long[] ids, long[] positions, int n)
    {
        using (NewDisposeScope())
        {
            graphIds.narrow(0, 0, n).copy_(tensor(ids, [n, 1]));
            graphPositions.narrow(0, 0, n).copy_(tensor(positions, [n]));
        }
    }

    /// <summary>
    /// As <see cref="Decode"/>, each row's token being the one <paramref name="chosen"/> holds for it (the step before's
    /// choice, still on the device) and its position one past the step before's: nothing is copied from the host, so
    /// the step queues behind the one before without waiting for it. A slot whose request ended meanwhile keeps
    /// counting, clamped inside the span: what it writes stays in its own slot, where a later prompt overwrites it.
    /// </summary>
    /// <param name="chosen">[≥ n] int64 token ids, by slot.</param>
    /// <param name="fed">Whether the step before fed its tokens and positions itself (<see cref="DecodeGreedy"/>).</param>
    public Tensor DecodeNext(Tensor chosen, int n, long span, Tensor mask, Tensor onehot, AdapterBank? bank, bool fed = false)
    {
        if (!fed) Feed(chosen, n, span);
        return Step(n, span, mask, onehot, bank);
    }

    void Feed(Tensor chosen, int n, long span)
    {
        using (NewDisposeScope())
        {
            graphIds.narrow(0, 0, n).copy_(chosen.narrow(0, 0, n).view(n, 1));
            graphPositions.narrow(0, 0, n).add_(1).clamp_max_(span - 1);
        }
    }

    /// <summary>
    /// A lone base row's step (slot 0) whose greedy token is chosen on the device (<see cref="SingleRowDecoder.ChooseGreedy(Tensor)"/>)
    /// and fed, with the next position, into the buffers the next step reads: consecutive such steps queue one behind
    /// another with nothing between them. Only where <see cref="ChoosesGreedyOnDevice"/>.
    /// </summary>
    /// <param name="id">The row's token and position from the host (null: from <paramref name="before"/>).</param>
    /// <param name="before">The step before's tokens, when <paramref name="id"/> is null.</param>
    /// <param name="fed">Whether that step fed them itself (it was one of these).</param>
    /// <returns>The chosen token [1] int64: a handle on the decoder's buffer, which the next such step overwrites (read
    /// it through a copy queued before that step).</returns>
    public Tensor DecodeGreedy((long Id, long Position)? id, Tensor? before, bool fed, long span)
    {
        if (!ChoosesGreedyOnDevice) throw new InvalidOperationException("no lone-row kernels to choose on the device");
        GreedySteps++;
        if (id is { } host) Feed([host.Id], [host.Position], 1);
        else if (!fed) Feed(before!, 1, span);
        if (!useGraphs)
        {
            singleRow!.Step();
            singleRow.ChooseGreedy(greedyChoice);
        }
        else
        {
            if (singleRowGreedyGraph is null)
            {
                // The capture's warm-ups run the step and feed its choice on; the buffers go back to where they were.
                using var scope = NewDisposeScope();
                var (ids, positions) = (graphIds.clone(), graphPositions.clone());
                singleRowGreedyGraph = CudaGraph.Capture(model.Device, () =>
                {
                    singleRow!.Step();
                    singleRow.ChooseGreedy(greedyChoice);
                }, GraphWarmups);
                torch.cuda.synchronize(model.Device);
                graphIds.copy_(ids);
                graphPositions.copy_(positions);
            }
            singleRowGreedyGraph.Replay();
        }
        return greedyChoice.alias();
    }

    /// <summary>One decode step of rows 0 … n−1 from the tokens and positions in the graph buffers.</summary>
    Tensor Step(int n, long span, Tensor mask, Tensor onehot, AdapterBank? bank)
    {
        using var scope = NewDisposeScope();
        var rowIds = graphIds.narrow(0, 0, n);
        var rowPositions = graphPositions.narrow(0, 0, n);
        if (n == 1 && bank is null && singleRow is not null) return SingleRow().clone().MoveToOuterDisposeScope();
        Tensor Run() => Invoke("decode", [rowIds, rowPositions, RowWise], keys.Select(k => k.narrow(0, 0, n).narrow(2, 0, span)).ToArray(),
            values.Select(v => v.narrow(0, 0, n).narrow(2, 0, span)).ToArray(), mask, onehot, bank);
        if (!useGraphs) return Run().MoveToOuterDisposeScope();

        var key = (n, span, bank?.Version ?? -1);
        if (!graphs.TryGetValue(key, out var captured))
        {
            // The graph reads this mask/onehot storage: the engine keeps them unchanged in place for this key.
            Tensor? output = null;
            var graph = CudaGraph.Capture(model.Device, () =>
            {
                output?.Dispose();
                output = Run().DetachFromDisposeScope();
            }, GraphWarmups);
            graphs[key] = captured = (graph, output!);
        }
        captured.Graph.Replay();
        return captured.Logits.clone().MoveToOuterDisposeScope();
    }

    /// <summary>A lone base row's step (token and position already in the graph buffers' row 0): one graph for every
    /// position, since the kernels read it from the buffer.</summary>
    Tensor SingleRow()
    {
        if (!useGraphs) return singleRow!.Step();
        singleRowGraph ??= CudaGraph.Capture(model.Device, () => singleRow!.Step(), GraphWarmups);
        singleRowGraph.Replay();
        return singleRow!.Logits;
    }

    /// <summary>Drops captured graphs (the adapter bank or the engine's mask buffers changed).</summary>
    public void ForgetGraphs()
    {
        foreach (var (graph, logits) in graphs.Values)
        {
            graph.Dispose();
            logits.Dispose();
        }
        graphs.Clear();
    }

    /// <param name="bank">The adapters, or null when no row uses one: the step then runs the base path alone (about half the
    /// kernels of a step through the adapters, which matters most to a single stream).</param>
    Tensor Invoke(string function, object[] leading, Tensor[] keyCache, Tensor[] valueCache, Tensor mask, Tensor onehot, AdapterBank? bank)
    {
        var config = model.Config;
        var (cos, sin) = model.Rotary.CosAndSignedSin(Math.Max(SlotTokens, config.MaxPositionEmbeddings));
        var lmHead = (Tensor?)model.LmHead?.Weight ?? model.Model.EmbedTokens.Weight;
        bool adapters = bank is { Columns: > 0 };
        object[] arguments =
        [
            .. leading, model.Model.EmbedTokens.Weight, layerWeights, model.Model.Norm.Weight, lmHead, keyCache, valueCache, cos, sin,
            adapters ? bank!.LayerTensors.ToArray() : Array.Empty<Tensor>(), adapters ? mask : absent, adapters ? onehot : absent,
            config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim, rmsNormEps, config.SlidingWindow ?? 0, maskMinValue,
            config.QkvBias, config.OutputBias, config.QkNorm, config.RotaryInterleaved, postNorms, adapters, adapters && bank!.HasDora,
        ];
        return (Tensor)unit.invoke(function, arguments);
    }

    static string ReadSource()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("StyleStudio.Training.serve_step.torchscript")
            ?? throw new InvalidOperationException("serve_step.torchscript is not embedded");
        return new StreamReader(stream).ReadToEnd();
    }

    public void Dispose()
    {
        ForgetGraphs();
        singleRowGraph?.Dispose();
        singleRowGreedyGraph?.Dispose();
        foreach (var prefill in prefillGraphs.Values)
        {
            prefill.Graph.Dispose();
            foreach (var t in new[] { prefill.Ids, prefill.Length, prefill.Slot }) t.Dispose();
        }
        prefillLogits?.Dispose();
        singleRow?.Dispose();
        unit.Dispose();
        absent.Dispose();
        rmsNormEps.Dispose();
        maskMinValue.Dispose();
        foreach (var t in keys.Concat(values).Append(graphIds).Append(graphPositions).Append(greedyChoice)) t.Dispose();
    }
}
