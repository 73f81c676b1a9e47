using System.Reflection;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime.Kernels;
using static TorchSharp.torch;

namespace StyleStudio.Training.Serving;

/// <summary>
/// One request's decode step in kernels of our own (decode_kernels.cu): five a layer where serve_step's op sequence
/// issues ~20, each weight matrix read once by a kernel that also does the normalisation, bias, rotary, cache write,
/// SwiGLU or residual add around it. That is the single stream's case — the playground — where a step is a few hundred
/// small kernels and the GPU waits between them: at Qwen2.5-0.5B on an H200 the graph replay of serve_step took 1.39 ms,
/// of which cuBLAS's matrix–vector products were 0.57 ms and element-wise kernels and gaps the rest
/// (benchmarks/results/2026-12-01-serve-step-profile-h200.jsonl); a step here takes 0.87 ms against serve_step's 1.42
/// in the same call, and the same 5.1 ms at 7B (2026-12-01-single-row-kernels-h200.jsonl) — 0.83 ms and 4.7 since each
/// kernel loads its first weights before it waits (see <see cref="Preload"/>), 0.73 since o_proj and down_proj read
/// their input from shared memory (see <see cref="StagedInput"/>), 0.66 since each reads its other operands before it
/// waits (see <see cref="EarlyOperands"/>), 0.66–0.68 against 0.69–0.74 over a playground's first 320 positions since
/// an attention block takes up to 512 of them (see <see cref="AttentionThreads"/>). For larger models the same
/// phases run as one persistent kernel a step (decode_step: a cooperative launch, grid-wide barriers between phases;
/// see <see cref="PersistentSuits"/>). The base path only: a row through an adapter (or a batch) takes serve_step.
/// Reads the token and its position from the engine's device buffers, so one captured CUDA graph serves every step of
/// every request.
/// </summary>
/// <remarks>Used by the engine's thread only.</remarks>
internal sealed class SingleRowDecoder : IDisposable
{
    static readonly string Source = ReadSource();
    /// <summary>The kernels by their compiled-in choices (see <see cref="AttentionPasses"/>, <see cref="EarlyOperands"/>,
    /// <see cref="SeparateMinBlocks"/>), compiled on first use.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, RuntimeKernel> Modules = new();
    const int WarpsPerBlock = 8, ThreadsPerBlock = WarpsPerBlock * 32;
    /// <summary>The longest attention chunk (see <see cref="AttentionChunk"/>).</summary>
    const int LongestChunk = 512;
    /// <summary>decode_step's block: a block per multiprocessor keeps its barriers' arrivals few, and 16 warps each with 8
    /// loads of 16 bytes in flight keep ~64 KB a multiprocessor in flight, enough for the memory's bandwidth.</summary>
    const int StepThreads = 512;
    /// <summary>The most warps a residual product's row is split over (see <see cref="Split"/>).</summary>
    const int MaxParts = 64;

    readonly CausalLM model;
    readonly Tensor[] layerWeights, keys, values;
    readonly Tensor ids, positions, x, q, attended, gated, partMax, partSum, partValues, arrivals, logits;
    readonly Tensor cos, sin;
    readonly string suffix;
    readonly long slotTokens;
    readonly int multiprocessors, shortestChunk;
    int chunk, chunks, stepChunk, stepChunks, attentionThreads = 512;
    readonly Dictionary<string, int> residentBlocks = [];
    readonly Tensor? layerTable, barrier;                   // decode_step's: each layer's addresses, its barrier counter
    readonly uint stepShared;                               // decode_step's dynamic shared memory
    readonly Tensor rowPartials, rowCounts;                 // decode_residual's split rows: fp32 partials, arrivals per row
    /// <summary>decode_choose_greedy: a 16-byte word of logits a thread, one round (151,936 logits: 75 blocks).</summary>
    const int ChooseThreads = 256, ChooseBlocks = 128;
    readonly Tensor chooseScratch;                          // its arrivals (left at 0), then each block's best

    /// <summary>Why the kernels cannot decode <paramref name="model"/> here, or null when they can.</summary>
    public static string? Unsupported(CausalLM model)
    {
        if (model.Device.type != TorchSharp.DeviceType.CUDA) return "not a CUDA device";
        if (RuntimeKernel.Unavailable is { } why) return why;
        var c = model.Config;
        if (!BatchDecoder.Supports(model)) return "MLP biases or a 4-bit base";
        if (c.QkNorm || c.SublayerOutputNorms || c.RotaryInterleaved) return "q/k norms, sublayer output norms or interleaved rotary";
        if (model.DType is not (ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32)) return $"dtype {model.DType}";
        int vec = model.DType == ScalarType.Float32 ? 4 : 8;
        int group = c.HeadDim / vec;
        if (c.HiddenSize % vec != 0 || c.IntermediateSize % vec != 0 || c.HeadDim % vec != 0 || group > 32 || (group & (group - 1)) != 0)
            return "sizes the vector loads do not divide";
        if (c.HeadDim % 2 != 0 || c.NumAttentionHeads % c.NumKeyValueHeads != 0) return "head layout";
        if (c.HiddenSize * (long)(vec == 4 ? 4 : 2) > 48 * 1024) return "hidden size beyond the kernels' shared memory";
        return null;
    }

    /// <param name="keys">Each layer's key cache [rows, KV, slot tokens, D]; the step writes slot 0's.</param>
    /// <param name="ids">[rows, 1] int64 token ids; row 0 is read.</param>
    /// <param name="positions">[rows] int64 cache positions; row 0 is read.</param>
    /// <param name="persistent">The whole step in one persistent kernel (decode_step, grid-wide barriers between its
    /// phases) where cooperative launches are possible; otherwise five kernels a layer. Null: as
    /// <see cref="PersistentSuits"/> says for the model.</param>
    public SingleRowDecoder(CausalLM model, Tensor[] layerWeights, Tensor[] keys, Tensor[] values, long slotTokens, Tensor ids, Tensor positions,
        bool? persistent = null)
    {
        if (Unsupported(model) is { } why) throw new NotSupportedException(why);
        this.model = model;
        this.layerWeights = layerWeights;
        this.keys = keys;
        this.values = values;
        this.slotTokens = slotTokens;
        this.ids = ids;
        this.positions = positions;
        var c = model.Config;
        var device = model.Device;
        suffix = model.DType switch { ScalarType.BFloat16 => "bf16", ScalarType.Float16 => "f16", _ => "f32" };
        x = empty(c.HiddenSize, model.DType, device).DetachFromDisposeScope();
        q = empty(c.NumAttentionHeads * c.HeadDim, model.DType, device).DetachFromDisposeScope();
        attended = empty(c.NumAttentionHeads * c.HeadDim, model.DType, device).DetachFromDisposeScope();
        gated = empty(c.IntermediateSize, model.DType, device).DetachFromDisposeScope();
        // Attention over chunks of the cache, a block each (blocks past the position stop at once): at most 64 of them,
        // so that a long slot's grid is not mostly blocks with nothing to do, and at least 64 positions. The partials are
        // sized for the shortest; a chunk is longer where one block covers more (see AttentionChunk).
        shortestChunk = (int)Math.Max(64, (slotTokens + 64 * 16 - 1) / (64 * 16) * 16);
        int mostChunks = (int)((slotTokens + shortestChunk - 1) / shortestChunk);
        AttentionThreads = attentionThreads;
        StepChunk = Math.Max(shortestChunk, Math.Min(96, LongestChunk));
        partMax = empty(c.NumAttentionHeads * mostChunks, ScalarType.Float32, device).DetachFromDisposeScope();
        partSum = empty(c.NumAttentionHeads * mostChunks, ScalarType.Float32, device).DetachFromDisposeScope();
        partValues = empty((long)c.NumAttentionHeads * mostChunks * c.HeadDim, ScalarType.Float32, device).DetachFromDisposeScope();
        arrivals = zeros(c.NumAttentionHeads, ScalarType.Int32, device).DetachFromDisposeScope();   // each step leaves them at 0
        logits = empty([1, c.VocabSize], model.DType, device).DetachFromDisposeScope();
        var (cosTable, sinTable) = model.Rotary.CosAndSignedSin(Math.Max(slotTokens, c.MaxPositionEmbeddings));
        (cos, sin) = (cosTable.contiguous().DetachFromDisposeScope(), sinTable.contiguous().DetachFromDisposeScope());
        multiprocessors = RuntimeKernel.Multiprocessors(device);
        foreach (var weight in layerWeights.Concat(keys).Concat(values))
            if (weight.NumberOfElements > 0 && !weight.is_contiguous())
                throw new NotSupportedException("the decode kernels read contiguous weights and caches");
        rowPartials = empty((long)c.HiddenSize * MaxParts, ScalarType.Float32, device).DetachFromDisposeScope();
        rowCounts = zeros(2 * c.HiddenSize, ScalarType.Int32, device).DetachFromDisposeScope();   // each product leaves them at 0 (a 64-bit slot a row: FlatExchange)
        chooseScratch = zeros(1 + 2 * ChooseBlocks, ScalarType.Int32, device).DetachFromDisposeScope();
        stepShared = Math.Max(Math.Max((uint)(c.HiddenSize * x.ElementSize), AttentionShared(StepThreads, LongestChunk)), StagedBytes(c.IntermediateSize));
        if ((persistent ?? PersistentSuits(c)) && RuntimeKernel.CanLaunchCooperatively && Kernels.ResidentBlocks(device, "decode_step_" + suffix, StepThreads, stepShared) >= 1)
        {
            layerTable = tensor(LayerAddresses(), ScalarType.Int64).to(device).DetachFromDisposeScope();
            barrier = zeros(1, ScalarType.Int32, device).DetachFromDisposeScope();   // each step leaves its low bits at 0
        }
    }

    /// <summary>
    /// Whether the persistent step is the faster form for a model of this shape. Measured on an H200 in one call
    /// (benchmarks/results/2026-12-01-persistent-step-h200.jsonl): at Qwen2.5-7B (hidden 3,584) a step took 4.57 ms
    /// persistent against 5.07 in five kernels a layer; at Qwen2.5-0.5B (hidden 896) 0.92 against 0.87 — its phases are
    /// too short for one block of 16 warps a multiprocessor (what a grid-wide barrier allows) to keep enough loads in
    /// flight, where the separate kernels run as many blocks as fit. Still so with the separate kernels' preloads
    /// (2026-12-02-step-forms-h200.jsonl): 7B 4.55 against 4.71, 0.5B 0.93 against 0.83; and with both staging their
    /// residual inputs (2026-12-02-step-forms-staged-h200.jsonl): 7B 4.22 against 4.39, 0.5B 0.86 against 0.73; and with
    /// operands read before the wait (2026-12-03-step-forms-early-operands-h200.jsonl): 7B 4.10 against 4.33 (the separate
    /// kernels with registers for two blocks a multiprocessor), 0.5B 0.80 against 0.66.
    /// </summary>
    public static bool PersistentSuits(ModelConfig config) => config.HiddenSize >= 2048;

    /// <summary>Batches of loads a lane (of 8 × 16 bytes) a row needs before its words are dealt out flat (see <see cref="Split"/>).</summary>
    internal int FlatRowBatches { get; set; } = 4;

    /// <summary>Whether o_proj's and down_proj's rows are split over several warps, or their words dealt out flat (internal:
    /// the serve benchmark measures both); set before a CUDA graph is captured.</summary>
    internal bool SplitRows { get; set; } = true;

    /// <summary>
    /// Over how many warps a residual product's row of <paramref name="columns"/> is split, of
    /// <paramref name="warps"/> the device runs at once: where fewer than half of them would have a row (Qwen2.5-0.5B's
    /// 896 rows), the fewest parts (a divisor of the row's 16-byte words) of at most one batch of loads a lane — one
    /// round trip to memory where down_proj's 4,864 columns take 3 — as long as every part still has a warp. Where the
    /// rows already fill the warps (7B's 3,584) splitting only adds each part's fence and arrival: down_proj took 2.9 ms a
    /// step instead of 1.4 (benchmarks/results/2026-12-01-split-rows-h200.jsonl).
    /// </summary>
    /// <param name="flat">Whether the caller can take 0: the persistent step, which alone runs <c>residual_flat</c>.</param>
    /// <returns>The parts a row is split into, or 0 for the flat partition of the rows' words over the warps
    /// (<c>residual_flat</c>): where the rows fill the warps but do not divide over them (7B's 3,584 rows over 2,112
    /// warps), a warp's share still covers a row, and a row is long — at least FlatRowBatches batches of loads a lane,
    /// so that the round a third of the warps sat out outweighs the pieces' fences. Measured at 7B on an H200
    /// (benchmarks/results/2026-12-02-flat-residual-h200.jsonl): down_proj (9¼ batches a row) 1,292 µs a step flat
    /// against 1,471 by rows; o_proj (1¾) 412 against ~365.</returns>
    int Split(int columns, int warps, bool flat = false)
    {
        int rows = model.Config.HiddenSize;
        int words = columns / (16 / (int)x.ElementSize), steps = words / 32;
        if (SplitRows && flat && rows * 2 > warps && rows % warps != 0 && words % 32 == 0 && steps >= FlatRowBatches * 8
            && (long)rows * steps / warps >= steps) return 0;
        if (!SplitRows || rows * 2 > warps) return 1;
        int batch = 32 * 8;                                                  // decode_kernels.cu's BATCH loads a lane
        for (int parts = 1; parts <= Math.Min(words, MaxParts) && rows * parts <= warps; parts++)
            if (words % parts == 0 && words / parts <= batch) return parts;
        return 1;
    }

    // Four choices of the kernels, each measured against the form before it on an H200 in one call (the first three:
    // benchmarks/results/2026-12-02-step-forms-h200.jsonl, what else was tried: 2026-12-02-step-forms-explore-h200.jsonl;
    // the fourth, StagedInput: …-step-forms-staged-h200.jsonl, what else was tried: …-step-forms-explore2-h200.jsonl).
    // Together at Qwen2.5-0.5B a step takes 0.73 ms where it took 1.01. Internal knobs: the benchmark and the tests run the
    // earlier forms; set before the first step (a captured CUDA graph keeps what it was captured with).

    /// <summary>
    /// Whether each kernel loads its warps' first batch of weights into registers before it waits for the previous
    /// kernel, rather than only asking L2 for the first rows: the loads are then under way while the previous kernel's
    /// last blocks finish. 0.5B: 0.89 → 0.83 ms a step; 7B: 4.81 → 4.71. The persistent step does not: its phases lose
    /// registers to it (0.99–1.05 → 1.12–1.18 ms at 0.5B, 4.66–4.69 → 4.81–4.84 at 7B).
    /// </summary>
    internal bool Preload { get; set; } = true;

    /// <summary>
    /// Whether the head's kernel takes four vocabulary rows a warp with 16 loads a lane in flight (decode_head_rows4)
    /// rather than one row with 8. At Qwen2.5-0.5B a row is 1.75 KB, so a warp had one row's loads in flight at a time
    /// and the head (272 MB) ran at ~2 TB/s, 137 µs of a step; four rows a warp ~70 µs (0.5B: 0.90 → 0.83 ms; 7B: 4.81 →
    /// 4.71). Two gate|up pairs a warp, or 16 loads a lane for o_proj and down_proj, were slower at both shapes; capping
    /// registers for more blocks a multiprocessor spilled and was slower still.
    /// </summary>
    internal bool HeadRows4 { get; set; } = true;

    /// <summary>
    /// Passes of an attention chunk's positions (one position a lane group each) whose keys and values decode_attention
    /// loads before it waits for q|k|v (the kernels are compiled for it: ATTENTION_PASSES); 8 covers a 64-position chunk
    /// at head_dim 64 or 128, where 1 — the form before — left the rest of the chunk's reads after the wait. 7B: 4.81 →
    /// 4.71 ms; 0.5B unchanged (0.82–0.83), its short chunks' reads were not what the attention waited on.
    /// </summary>
    internal int AttentionPasses { get; set; } = 8;

    /// <summary>
    /// Cache positions a decode_attention block takes. Where the context fits one chunk, its block writes the attended
    /// vector itself — no partials, fence or merge (decode_kernels.cu's attention_chunk) — so a chunk is as long as the
    /// passes a block loads before it waits cover (<see cref="AttentionPasses"/>; set through <see cref="AttentionThreads"/>).
    /// </summary>
    internal int AttentionChunk
    {
        get => chunk;
        set => (chunk, chunks) = (CheckedChunk(value), (int)((slotTokens + value - 1) / value));
    }

    /// <summary>
    /// Threads of a decode_attention block; setting it sets <see cref="AttentionChunk"/> to the positions its
    /// <see cref="AttentionPasses"/> cover: 512 threads take 512 positions at head_dim 64, so a playground context up to
    /// 512 tokens is one chunk, its eight passes a thread loaded before the wait, and never merged. Measured on an H200
    /// in one call (benchmarks/results/2026-12-03-step-forms-attention-threads-h200.jsonl), Qwen2.5-0.5B's step at
    /// positions 64–127 and 256–319: 128 threads (128-position chunks, the form before) 0.664 and 0.730–0.743 ms, 256
    /// threads 0.654 and 0.732, 512 threads 0.656 and 0.715; a lone stream 1,461 → 1,521 tok/s
    /// (…-serve-attention-threads-h200.jsonl). With 128 threads, chunks stay at most 128 positions: 192 and 256 were no
    /// faster (2026-12-02-step-forms-chunk-explore-h200.jsonl).
    /// </summary>
    internal int AttentionThreads
    {
        get => attentionThreads;
        set
        {
            attentionThreads = value;
            AttentionChunk = Math.Max(shortestChunk, Math.Min(ChunkCovered(value, AttentionPasses), value == 128 ? 128 : LongestChunk));
        }
    }

    /// <summary>
    /// Cache positions a block of the persistent step's attention takes (its blocks have <see cref="StepThreads"/>
    /// threads, one pass of a chunk loaded before its barrier: more spilled). Measured on an H200 in one call at 7B
    /// (benchmarks/results/2026-12-03-step-forms-attention-threads-h200.jsonl), the step at positions 64–127 and 256–319:
    /// 64 positions (the form before) 4.110 and 4.269 ms, 128 positions 4.124 and 4.181, 256 positions 4.128 and 4.270.
    /// With the cache asked of L2 ahead (<see cref="AheadAndExchanged"/>) a chunk's passes after the first wait on L2
    /// rather than device memory, and 96 positions (three passes; at most four chunks a head, 112 blocks, up to 383)
    /// took 4.049 and 4.046 ms against 4.050 and 4.073 with 128, three rounds in turn in one call
    /// (benchmarks/results/2026-12-04-step-forms-exchange-h200.jsonl).
    /// </summary>
    internal int StepChunk
    {
        get => stepChunk;
        set => (stepChunk, stepChunks) = (CheckedChunk(value), (int)((slotTokens + value - 1) / value));
    }

    /// <summary>The shortest chunk the partials allow for this slot length.</summary>
    internal int ShortestChunk => shortestChunk;

    /// <summary>The positions <paramref name="passes"/> passes of a block of <paramref name="threads"/> cover (a lane
    /// group a position), at least the shortest chunk and at most the longest.</summary>
    int ChunkCovered(int threads, int passes) =>
        Math.Clamp(passes * threads / (model.Config.HeadDim / (16 / (int)x.ElementSize)), shortestChunk, Math.Max(shortestChunk, LongestChunk));

    int CheckedChunk(int value) => value >= shortestChunk && value <= Math.Max(shortestChunk, LongestChunk) ? value
        : throw new ArgumentOutOfRangeException(nameof(value), $"the partials are sized for chunks of {shortestChunk}, the shared memory for at most {LongestChunk}");

    /// <summary>
    /// Whether o_proj's and down_proj's kernels copy their input vector into shared memory once a block before the
    /// products, rather than each warp reading its columns of it from L2 beside its weights (see decode_kernels.cu's
    /// staged_vector); the same sums in the same order. Where the vector does not fit a block's 48 KB, it stays where it is.
    /// Measured on an H200 in one call (benchmarks/results/2026-12-02-step-forms-staged-h200.jsonl): 0.5B 0.77 → 0.73 ms a
    /// step; 7B's persistent step 4.46 → 4.22 (down_proj 1,256 → 1,061 µs, o_proj 355 → 325).
    /// </summary>
    internal bool StagedInput { get; set; } = true;

    /// <summary>The shared memory a residual product over <paramref name="columns"/> takes to stage its input vector: 0
    /// where it is not staged (see <see cref="StagedInput"/>).</summary>
    uint StagedBytes(int columns)
    {
        long bytes = (long)columns * x.ElementSize;
        return StagedInput && bytes <= 48 * 1024 ? (uint)bytes : 0;
    }

    /// <summary>
    /// Whether each kernel reads what it needs besides its weights and input — the norm's weights, a residual row and bias,
    /// the rotary tables — before it waits for the previous one, the attention reads the newest key and value with the
    /// query, and arrivals release and acquire in one atomic: after the wait a kernel's chain then holds one round trip to
    /// L2 where it held two or three (decode_kernels.cu's EARLY_OPERANDS; the same sums in the same order). Measured on an
    /// H200 (benchmarks/results/2026-12-03-step-forms-early-operands-h200.jsonl): 0.5B 0.70 → 0.66–0.68 ms a step, 7B's
    /// persistent step 4.28 → 4.03.
    /// </summary>
    internal bool EarlyOperands { get; set; } = true;

    /// <summary>Blocks a multiprocessor the separate q|k|v, residual and gate|up kernels leave registers for
    /// (decode_kernels.cu's SEPARATE_MIN_BLOCKS): with <see cref="EarlyOperands"/> they took 139 registers a thread, one
    /// block a multiprocessor. Two: 0.5B the same (0.662 against 0.660 ms), 7B's five kernels a layer 4.33 against 4.78.</summary>
    internal int SeparateMinBlocks { get; set; } = 2;

    /// <summary>
    /// Whether the persistent step asks L2 for each layer's cached keys and values before its q|k|v barrier
    /// (decode_kernels.cu's ATTENTION_PREFETCH), and joins a flat product's cut rows in one exchange that carries the
    /// partial sum, its residual rows read before the barrier (FLAT_EXCHANGE); the same sums in the same order. Measured
    /// at 7B on an H200, four rounds in turn in one call (benchmarks/results/2026-12-04-step-forms-exchange-h200.jsonl):
    /// the step at positions 64–127 4.185 → 4.129 ms (the attention 232 → 197 µs a step, down_proj 1,085 → 1,066), at
    /// 256–319 4.227 → 4.204; o_proj dealt out flat as well (<see cref="FlatRowBatches"/> 1) no faster (4.139, 4.197).
    /// (A step of 384 threads a block took 4.55 ms against 4.12, of 256 threads with 16 loads a lane in flight 4.88, 512
    /// threads with 12 loads 4.23: same file.)
    /// </summary>
    internal bool AheadAndExchanged { get; set; } = true;

    /// <summary>Whether the separate kernels stage a residual product's input with all their loads before any store
    /// (decode_kernels.cu's STAGE_AT_ONCE) rather than in a loop whose loads wait behind the stores; the same values.
    /// 0.5B's step 0.653 → 0.644 ms (benchmarks/results/2026-12-04-step-forms-held-h200.jsonl).</summary>
    internal bool StageAtOnce { get; set; } = true;

    /// <summary>A diagnostic: a mask of the persistent step's grid barriers that do nothing (decode_kernels.cu's
    /// GRID_BARRIER_OFF), its results then wrong — the step's time bounds what hiding those barriers could reach.</summary>
    internal int BarriersOff { get; set; }

    /// <summary>A lane's loads of its first unit's weights (of every product) the persistent step issues before each
    /// barrier and holds in registers across it (decode_kernels.cu's STEP_FIRST_LOADS; 0: only asked of L2, as before).
    /// Two — a quarter of a batch — hold 8 registers a thread and the step spills 8 bytes where it spilled 16; four spill
    /// 32 and a whole batch 136, each slower than two. 7B on an H200, forms in turn
    /// (benchmarks/results/2026-12-04-first-loads-barriers-off-h200.jsonl): 3.997 against 4.104 ms a step (call 7), the
    /// engine's lone request 251 tok/s.</summary>
    internal int StepFirstLoads { get; set; } = 2;

    RuntimeKernel Kernels => Modules.GetOrAdd(
        $"-DATTENTION_PASSES={AttentionPasses} -DEARLY_OPERANDS={(EarlyOperands ? 1 : 0)} -DSEPARATE_MIN_BLOCKS={SeparateMinBlocks}"
            + $" -DATTENTION_PREFETCH={(AheadAndExchanged ? 1 : 0)} -DFLAT_EXCHANGE={(AheadAndExchanged ? 1 : 0)}"
            + $" -DSTAGE_AT_ONCE={(StageAtOnce ? 1 : 0)}"
            + (BlockStamps ? " -DBLOCK_TIMELINE=1" : "") + (BarriersOff != 0 ? $" -DGRID_BARRIER_OFF={BarriersOff}" : "")
            + (StepFirstLoads != 0 ? $" -DSTEP_FIRST_LOADS={StepFirstLoads}" : ""),
        options => new RuntimeKernel("decode_kernels.cu", Source, options.Split(' ')) { OverlapLaunches = true });

    /// <summary>Registers and spilled bytes a thread of each kernel launched so far (for the benchmark).</summary>
    internal Dictionary<string, (int Registers, int LocalBytes)> KernelResources() =>
        residentBlocks.Keys.ToDictionary(k => k, k => Kernels.Resources(model.Device, k.Split('@')[0]));

    /// <summary>A part of the step left out of every step (qkv, attention, o_proj, gate_up, down_proj, head), or null: for
    /// the benchmark's account of what each costs a step — the step's results are then wrong.</summary>
    internal string? Without { get; set; }

    /// <summary>Whether a step is one persistent kernel (decode_step) rather than five kernels a layer.</summary>
    public bool Persistent => layerTable is not null;

    Tensor? timeline;

    /// <summary>Has decode_step record when each of its barriers opens (block 0, nanoseconds), for
    /// <see cref="PhaseMicroseconds"/>; before a CUDA graph is captured.</summary>
    internal void RecordTimeline() => timeline ??= zeros(BlockTimelineAt + 2 * Barriers * MaxTimelineBlocks, ScalarType.Int64, model.Device).DetachFromDisposeScope();

    const int BlockTimelineAt = 1024, MaxTimelineBlocks = 1024;   // decode_kernels.cu's BLOCK_TIMELINE_AT
    int Barriers => 2 + model.Config.NumHiddenLayers * 5 + 2;

    /// <summary>Whether a recorded timeline (<see cref="RecordTimeline"/>) holds every block's stamps, not block 0's
    /// alone (decode_kernels.cu's BLOCK_TIMELINE; a kernel of its own, which spills).</summary>
    internal bool BlockStamps { get; set; }

    /// <summary>The last step's stamps by block (see <see cref="BlockStamps"/>): [barrier, block, 2] nanoseconds, the
    /// block's arrival and when it saw the barrier open (barrier 0: the block's start).</summary>
    internal (long[] Stamps, int Blocks, int Barriers) BlockTimeline()
    {
        int blocks = BlocksAtOnce("decode_step", StepThreads, stepShared);
        var stamps = timeline!.narrow(0, BlockTimelineAt, 2 * Barriers * blocks).cpu().data<long>().ToArray();
        return (stamps, blocks, Barriers);
    }

    /// <summary>The last step's time per phase, from its timeline (see <see cref="RecordTimeline"/>): embedding, then
    /// per layer q|k|v, attention, o_proj, gate|up, down_proj, then the head.</summary>
    internal double[] PhaseMicroseconds()
    {
        int count = 2 + model.Config.NumHiddenLayers * 5 + 1;
        // Block 0's openings only (the buffer also has room for every block's stamps, BlockStamps).
        using var opened = timeline!.narrow(0, 0, count);
        var stamps = opened.cpu().data<long>().ToArray();
        return Enumerable.Range(0, count - 1).Select(i => (stamps[i + 1] - stamps[i]) / 1000.0).ToArray();
    }

    /// <summary>decode_step's table: per layer the addresses of its weights and caches, in LayerPointer's order.</summary>
    long[] LayerAddresses()
    {
        int layers = model.Config.NumHiddenLayers;
        var table = new long[layers * 10];
        for (int layer = 0; layer < layers; layer++)
        {
            var w = layerWeights.AsSpan(layer * 10, 10);
            Tensor?[] row = [w[0], w[1], w[2], w[5], w[6], w[7], w[8], w[9], keys[layer], values[layer]];
            for (int i = 0; i < row.Length; i++)
                table[layer * 10 + i] = row[i] is { NumberOfElements: > 0 } t ? (long)((KernelArgument)t).Bits : 0;
        }
        return table;
    }

    /// <summary>The last step's logits [1, vocab]: the buffer every step (and a captured graph's replay) writes.</summary>
    public Tensor Logits => logits;

    /// <summary>
    /// Queues the greedy choice of the last step's token on the device (decode_choose_greedy: the first index of the
    /// largest logit, as torch's argmax): written as row 0's next token and into <paramref name="chosen"/> ([1] int64,
    /// what the host reads), row 0's position moved one on (held at the slot's last). A lone greedy request's steps then
    /// feed each other without the host, and a token costs no argmax, feed or logits copy outside the step.
    /// </summary>
    public void ChooseGreedy(Tensor chosen) => ChooseGreedy(logits, chosen);

    /// <summary>As <see cref="ChooseGreedy(Tensor)"/>, from any logits [1, vocab] (for the tests).</summary>
    internal void ChooseGreedy(Tensor fromLogits, Tensor chosen)
    {
        int vocab = (int)fromLogits.shape[^1], words = vocab / (16 / (int)fromLogits.ElementSize);
        int blocks = Math.Clamp((words + ChooseThreads - 1) / ChooseThreads, 1, ChooseBlocks);
        Kernels.Launch(model.Device, "decode_choose_greedy_" + suffix, ((uint)blocks, 1, 1), (ChooseThreads, 1, 1), 0,
            fromLogits, vocab, ids, positions, slotTokens - 1, chosen, chooseScratch);
    }

    /// <summary>Runs one step for row 0 (its token at its position), writing its key and value into slot 0 of the cache;
    /// returns the logits [1, vocab] (a buffer of this decoder's, overwritten by the next step).</summary>
    public Tensor Step()
    {
        var c = model.Config;
        var device = model.Device;
        float eps = (float)c.RmsNormEps;
        float scale = (float)(1.0 / Math.Sqrt(c.HeadDim));
        uint vectorBytes = (uint)(c.HiddenSize * x.ElementSize);
        int window = c.SlidingWindow ?? 0;
        var lmHead = (Tensor?)model.LmHead?.Weight ?? model.Model.EmbedTokens.Weight;
        if (Persistent)
        {
            int blocks = BlocksAtOnce("decode_step", StepThreads, stepShared), warps = blocks * StepThreads / 32;
            Kernels.Launch(device, "decode_step_" + suffix, ((uint)blocks, 1, 1), (StepThreads, 1, 1), stepShared, cooperative: true,
                layerTable!, c.NumHiddenLayers, model.Model.EmbedTokens.Weight, ids, positions, x, q, attended, gated,
                partMax, partSum, partValues, arrivals, barrier!, model.Model.Norm.Weight, lmHead, logits, cos, sin, eps, scale,
                c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.IntermediateSize, c.VocabSize, slotTokens,
                window, stepChunk, stepChunks, Split(c.NumAttentionHeads * c.HeadDim, warps, flat: true), Split(c.IntermediateSize, warps, flat: true),
                rowPartials, rowCounts, StagedBytes(c.IntermediateSize) > 0 && StagedBytes(c.NumAttentionHeads * c.HeadDim) > 0 ? 1 : 0,
                timeline is null ? (KernelArgument)0L : (KernelArgument)timeline);
            return logits;
        }
        uint attentionShared = AttentionShared(AttentionThreads, chunk);
        int qkvUnits = (c.NumAttentionHeads + c.NumKeyValueHeads) * (c.HeadDim / 2) + c.NumKeyValueHeads * c.HeadDim;
        bool rows4 = HeadRows4 && c.VocabSize % 4 == 0;
        string head = rows4 ? "decode_head_rows4" : "decode_head";
        uint oShared = StagedBytes(c.NumAttentionHeads * c.HeadDim), downShared = StagedBytes(c.IntermediateSize);
        int residualWarps = BlocksAtOnce("decode_residual", ThreadsPerBlock, downShared) * WarpsPerBlock;
        int preload = Preload ? 1 : 0;
        int oSplit = Split(c.NumAttentionHeads * c.HeadDim, residualWarps), downSplit = Split(c.IntermediateSize, residualWarps);
        Launch("embed", "decode_embed", ((uint)((c.HiddenSize + 255) / 256), 1, 1), (256, 1, 1), 0,
            model.Model.EmbedTokens.Weight, ids, x, c.HiddenSize);
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            var w = layerWeights.AsSpan(layer * 10, 10);
            Launch("qkv", "decode_qkv", Grid("decode_qkv", qkvUnits, vectorBytes), (ThreadsPerBlock, 1, 1), vectorBytes,
                x, w[0], eps, w[1], Optional(w[2]), cos, sin, positions, q, keys[layer], values[layer],
                c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, slotTokens, preload);
            Launch("attention", "decode_attention", ((uint)c.NumAttentionHeads, (uint)chunks, 1), ((uint)AttentionThreads, 1, 1), attentionShared,
                q, keys[layer], values[layer], positions, partMax, partSum, partValues, arrivals, attended,
                c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, slotTokens, window, scale, chunk);
            Launch("o_proj", "decode_residual", Grid("decode_residual", c.HiddenSize * oSplit, oShared), (ThreadsPerBlock, 1, 1), oShared,
                attended, w[5], Optional(w[6]), x, c.HiddenSize, c.NumAttentionHeads * c.HeadDim, oSplit, rowPartials, rowCounts, preload,
                oShared > 0 ? 1 : 0);
            Launch("gate_up", "decode_gate_up", Grid("decode_gate_up", c.IntermediateSize, vectorBytes), (ThreadsPerBlock, 1, 1), vectorBytes,
                x, w[7], eps, w[8], gated, c.HiddenSize, c.IntermediateSize, preload);
            Launch("down_proj", "decode_residual", Grid("decode_residual", c.HiddenSize * downSplit, downShared), (ThreadsPerBlock, 1, 1),
                downShared, gated, w[9], 0L, x, c.HiddenSize, c.IntermediateSize, downSplit, rowPartials, rowCounts, preload,
                downShared > 0 ? 1 : 0);
        }
        Launch("head", head, Grid(head, c.VocabSize / (rows4 ? 4 : 1), vectorBytes), (ThreadsPerBlock, 1, 1), vectorBytes,
            x, model.Model.Norm.Weight, eps, lmHead, logits, c.HiddenSize, c.VocabSize, preload);
        return logits;

        void Launch(string part, string kernel, (uint, uint, uint) grid, (uint, uint, uint) block, uint shared,
            params ReadOnlySpan<KernelArgument> arguments)
        {
            if (part != Without) Kernels.Launch(device, kernel + "_" + suffix, grid, block, shared, arguments);
        }

        (uint, uint, uint) Grid(string kernel, int units, uint shared) => SingleRowDecoder.Grid(units, BlocksAtOnce(kernel, ThreadsPerBlock, shared));
    }

    /// <summary>The attention's dynamic shared memory at a block size: the query row, then the chunk's scores or the
    /// lane groups' sums and their totals by parts.</summary>
    uint AttentionShared(int threads, int chunkLength) =>
        (uint)((model.Config.HeadDim + Math.Max(chunkLength, threads * (16 / (int)x.ElementSize) + threads)) * sizeof(float));

    /// <summary>Blocks each kernel launched so far runs at once over the device (for the benchmark).</summary>
    internal IReadOnlyDictionary<string, int> ResidentBlocksByKernel => residentBlocks;

    /// <summary>Blocks of a kernel the whole device runs at once (looked up once per kernel and shared memory).</summary>
    int BlocksAtOnce(string kernel, int threads, uint shared)
    {
        string function = kernel + "_" + suffix, key = shared == 0 ? function : $"{function}@{shared}";
        if (!residentBlocks.TryGetValue(key, out int blocks))
        {
            int perMultiprocessor = Kernels.ResidentBlocks(model.Device, function, threads, shared);
            if (perMultiprocessor < 1) throw new NotSupportedException($"{function} does not fit a multiprocessor at {threads} threads");
            residentBlocks[key] = blocks = multiprocessors * perMultiprocessor;
        }
        return blocks;
    }

    /// <summary>
    /// A grid of a warp per work unit, at most as many blocks as the device runs at once: a block's prologue (the
    /// normalisation) leaves the memory idle, so blocks loop over units rather than come in waves. The units are spread
    /// evenly over the rounds they take (2.2 rounds' worth over all blocks would leave the third round mostly idle).
    /// </summary>
    static (uint, uint, uint) Grid(int units, int blocksAtOnce)
    {
        int rounds = (units + blocksAtOnce * WarpsPerBlock - 1) / (blocksAtOnce * WarpsPerBlock);
        return ((uint)((units + rounds * WarpsPerBlock - 1) / (rounds * WarpsPerBlock)), 1, 1);
    }

    /// <summary>An optional weight (biases): a null pointer where the model has none. (Typed on both branches: TorchSharp
    /// converts a long to a CPU scalar tensor implicitly, which would make the null pointer a host address.)</summary>
    static KernelArgument Optional(Tensor weight) => weight.NumberOfElements > 0 ? (KernelArgument)weight : (KernelArgument)0L;

    static string ReadSource()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("StyleStudio.Training.decode_kernels.cu")
            ?? throw new InvalidOperationException("decode_kernels.cu is not embedded");
        return new StreamReader(stream).ReadToEnd();
    }

    public void Dispose()
    {
        foreach (var t in new[] { x, q, attended, arrivals, gated, partMax, partSum, partValues, logits, cos, sin }) t.Dispose();
        layerTable?.Dispose();
        barrier?.Dispose();
        rowPartials.Dispose();
        rowCounts.Dispose();
        chooseScratch.Dispose();
        timeline?.Dispose();
    }
}
