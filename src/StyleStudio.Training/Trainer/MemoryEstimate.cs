using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;

namespace StyleStudio.Training.Trainer;

/// <summary>What a memory figure counts, matching what the trainer reports as <see cref="TrainingEvent.MemoryBytes"/>.</summary>
public enum MemoryMeasure
{
    /// <summary>GPU memory in use (all processes, as nvidia-smi shows it).</summary>
    GpuMemory,
    /// <summary>The training process's resident memory (the studio's or the CLI's whole process) on CPU.</summary>
    ProcessMemory,
}

/// <summary>The shape of a training batch and the overhead the estimate adds to the tensors.</summary>
/// <param name="SequenceLength">Tokens per batch row: the longest example after cutoff (or cutoff_len when packing).</param>
/// <param name="Measure">Which quantity the estimate describes.</param>
/// <param name="OverheadBytes">What is held besides training tensors: on GPU the CUDA context
/// (<see cref="MemoryEstimate.CudaContextBytes"/>); on CPU the process's resident memory before training plus
/// <see cref="MemoryEstimate.CpuRuntimeBytes"/>.</param>
public sealed record MemoryEstimateInput(int SequenceLength, MemoryMeasure Measure, long OverheadBytes);

/// <summary>
/// Peak training memory estimated from a model's config.json shape and the run's settings, before anything is loaded,
/// in four parts plus overhead. It follows what this trainer holds, not a generic formula:
/// <list type="bullet">
/// <item><b>Weights</b>: every parameter in the compute dtype (bf16 on GPU, fp32 on CPU, fp32 for full and freeze tuning);
/// QLoRA keeps the decoder projections in NF4 (4 bits plus a one-byte absmax code per 64 values and an fp32 scale per
/// 256 codes, as <c>Nf4Tensor</c> stores them).</item>
/// <item><b>Trainable + optimizer</b>: per trainable parameter an fp32 gradient and AdamW's two fp32 moments, plus the fp32
/// value itself for adapters (the base's values are already counted under weights).</item>
/// <item><b>Activations</b>: what autograd keeps per token per layer (RMSNorm's fp32 copies, q/k/v and their rotated copies,
/// K/V repeated to the query heads, the [T, T] attention matrix on CPU where SDPA takes the math path, SwiGLU's four
/// intermediates, adapter inputs); with gradient checkpointing only each layer's input is kept, and one layer is recomputed with the gradients
/// flowing through it.</item>
/// <item><b>Logits</b>: the loss computes fp32 logits chunk by chunk (<c>HiddenStateLoss</c>, at most 256 MiB a chunk), so
/// [batch, seq, vocab] exists at most one chunk at a time, together with its model-dtype matmul result.</item>
/// </list>
/// The figures are estimates: allocator caching and fragmentation are not modelled beyond a margin.
/// </summary>
public sealed record MemoryEstimate(long WeightBytes, long TrainableBytes, long ActivationBytes, long LogitBytes,
    long OverheadBytes, long TrainableParameters, MemoryMeasure Measure)
{
    /// <summary>CUDA context, cuBLAS workspaces and libtorch's kernels on a GPU: a rough constant (≈ 0.5–0.8 GiB measured
    /// on recent drivers).</summary>
    public const long CudaContextBytes = 700L << 20;

    /// <summary>What libtorch's CPU runtime pages in as a process's first training runs (kernels' code, thread pools,
    /// allocator arenas), libtorch itself being loaded already (selecting the device loads it, in the studio and the CLI):
    /// 20–25 MiB measured in fresh `stylestudio train` processes (MemoryEstimateMeasuredTests). A process that has trained
    /// before holds it already, so there the estimate is high by about this much.</summary>
    public const long CpuRuntimeBytes = 32L << 20;

    /// <summary>Share added to tensor memory for allocator caching and fragmentation.</summary>
    public const double AllocatorMargin = 0.10;

    public long TotalBytes => OverheadBytes + (long)((WeightBytes + TrainableBytes + ActivationBytes + LogitBytes) * (1 + AllocatorMargin));

    /// <summary>Bytes per NF4-quantized value: packed 4-bit index, int8 absmax code per 64, fp32 scale per 64 × 256.</summary>
    const double Nf4BytesPerValue = 0.5 + 1.0 / 64 + 4.0 / (64 * 256);

    /// <summary>Estimates a run of <paramref name="settings"/> on a model of shape <paramref name="model"/>.</summary>
    public static MemoryEstimate For(ModelConfig model, RunRequest settings, MemoryEstimateInput input)
    {
        bool adapters = settings.TrainsAdapters;
        bool gpu = input.Measure == MemoryMeasure.GpuMemory;
        // FineTuneRun keeps trained base weights in fp32; adapters train on a base in the compute dtype.
        int width = !adapters ? 4 : settings.Precision switch
        {
            ComputePrecision.BFloat16 or ComputePrecision.Float16 => 2,
            ComputePrecision.Float32 => 4,
            _ => gpu ? 2 : 4,   // auto: bf16 on GPU, fp32 on CPU
        };
        long h = model.HiddenSize, layers = model.NumHiddenLayers, vocab = model.VocabSize;
        var (projections, perLayer, total) = Counts(model);

        bool nf4 = adapters && settings.QuantizationBit == 4;
        long weights = nf4
            ? (long)(layers * projections * Nf4BytesPerValue) + (total - layers * projections) * width
            : total * width;

        var targets = adapters ? LoraTargets.Selected(string.Join(",", settings.LoraTarget), LoraTargets.Of(model)) : [];
        long trainable = settings.FineTuning switch
        {
            FineTuningType.Full => total,
            FineTuningType.Freeze => Math.Clamp(settings.FreezeTrainableLayers, 0, (int)layers) * perLayer,
            _ => targets.Sum(t => t.Layers * (t.AdapterParameters(settings.LoraRank) + (settings.UseDora ? t.OutFeatures : 0))),
        };
        long trainableBytes = trainable * (adapters ? 16 : 12);   // (value +) gradient + two AdamW moments, fp32

        long tokens = (long)settings.PerDeviceTrainBatchSize * input.SequenceLength;
        long layerActivations = tokens * LayerActivationBytes(model, settings, targets, input.SequenceLength, width, gpu);
        bool offload = settings.GradientCheckpointing && settings.OffloadCheckpoints;
        if (offload && tokens > LongContext.MlpSliceTokens)   // the MLP's intermediate activations exist for one slice only
            layerActivations -= (tokens - LongContext.MlpSliceTokens) * 4 * model.IntermediateSize * width;
        // With checkpointing: each layer's input, plus the layer being recomputed and the gradients flowing through it
        // (twice one layer's activations: the CPU measurements in MemoryEstimateMeasuredTests then agree within +6 %).
        // Offloaded, the inputs wait in host memory but the one being copied back.
        long kept = !settings.GradientCheckpointing
            ? layers * layerActivations
            : (offload ? 1 : layers) * tokens * h * width + 2 * layerActivations;
        // Embedding output, final norm, the loss's selected rows and their gradient; a layer's activation gradients.
        long activations = kept + tokens * h * (3 * width + 4) + layerActivations / 2;

        long chunkRows = Math.Max(1, Objectives.HiddenStateLoss.DefaultChunkBytes / (vocab * 4));
        long logits = Math.Min(tokens, chunkRows) * vocab * (4 + width);

        return new MemoryEstimate(weights, trainableBytes, activations, logits, input.OverheadBytes, trainable, input.Measure);
    }

    /// <summary>Every parameter of a model of this shape (embeddings, layers, final norm).</summary>
    public static long Parameters(ModelConfig model) => Counts(model).Total;

    /// <summary>Parameters of one layer's projections, of one whole layer, and of the model.</summary>
    static (long Projections, long PerLayer, long Total) Counts(ModelConfig model)
    {
        long h = model.HiddenSize, inter = model.IntermediateSize;
        long q = model.NumAttentionHeads * (long)model.HeadDim, kv = model.NumKeyValueHeads * (long)model.HeadDim;
        long projections = h * q + 2 * h * kv + q * h + 3 * h * inter;
        long normsAndBiases = 2 * h + (model.QkNorm ? 2L * model.HeadDim : 0) + (model.QkvBias ? q + 2 * kv : 0)
                              + (model.OutputBias ? h : 0) + (model.MlpBias ? 2 * inter + h : 0);
        long perLayer = projections + normsAndBiases;
        long embeddings = (long)model.VocabSize * h * (model.TieWordEmbeddings ? 1 : 2);
        return (projections, perLayer, model.NumHiddenLayers * perLayer + embeddings + h);
    }

    /// <summary>Bytes autograd keeps per token for one decoder layer.</summary>
    static long LayerActivationBytes(ModelConfig model, RunRequest settings, IReadOnlyList<TargetModule> targets,
        int sequenceLength, int width, bool gpu)
    {
        long h = model.HiddenSize, inter = model.IntermediateSize;
        long q = model.NumAttentionHeads * (long)model.HeadDim, kv = model.NumKeyValueHeads * (long)model.HeadDim;
        long norms = 2 * (h * 4 + 2 * h * width);                      // two RMSNorms: fp32 copy, input and output
        long attention = (q + 2 * kv)                                   // q, k, v
                         + (q + kv)                                      // rotated q, k
                         + (model.NumKeyValueHeads < model.NumAttentionHeads ? 2 * q : 0)   // repeated k, v
                         + q + h + h;                                    // attention output, o_proj output, residual
        long mlp = 4 * inter + 2 * h;                                    // gate, up, silu(gate), product; down, residual
        // SDPA's math path (CPU) materializes scores and probabilities [heads, T, T]: 2·heads·T per token.
        long scores = gpu ? 0 : 2L * model.NumAttentionHeads * sequenceLength;
        long adapters = targets.Sum(t => (settings.LoraDropout > 0 ? t.InFeatures : 0) + 2L * settings.LoraRank);
        return norms + (attention + mlp + scores + adapters) * width;
    }
}
