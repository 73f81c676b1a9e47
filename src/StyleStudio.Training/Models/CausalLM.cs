using StyleStudio.Training.Models.Compiled;
using StyleStudio.Training.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>Inputs of one forward pass.</summary>
/// <param name="InputIds">[B, T] int64 token ids (new tokens only when a cache holds the earlier ones).</param>
/// <param name="Positions">[B, T] int64 rotary positions; with left padding, count from each row's first real token.</param>
/// <param name="Padding">[B, S] 1 = real token, 0 = padding, over cached + new positions; null when nothing is padded.</param>
/// <param name="Cache">Keys/values of earlier positions, appended to by this forward; null for a stateless forward.</param>
/// <param name="LastPositionOnly">Compute logits for the last position only (decoding), saving a [B, T, vocab] matmul.</param>
/// <param name="Segments">[B, T] int64 for packed rows: which packed sequence each token belongs to (0 = padding); tokens
/// attend only within their own sequence. Null when rows are not packed.</param>
public sealed record ForwardInput(Tensor InputIds, Tensor Positions, Tensor? Padding = null, KvCache? Cache = null,
    bool LastPositionOnly = false, Tensor? Segments = null);

/// <summary>
/// A decoder-only causal language model (Qwen2/2.5/3, Llama 3, Mistral): <c>model.*</c> plus <c>lm_head</c>, which is
/// the embedding matrix itself when <see cref="ModelConfig.TieWordEmbeddings"/> is set.
/// </summary>
public sealed class CausalLM : nn.Module
{
    CompiledDecoder? compiledDecoder;

    public ModelConfig Config { get; }
    public ScalarType DType { get; }
    public Device Device { get; }
    public DecoderStack Model { get; }
    public LinearLayer? LmHead { get; }
    internal RotaryEmbedding Rotary { get; }

    /// <summary>
    /// While training, recompute each decoder layer's activations in the backward pass instead of keeping them
    /// (see <see cref="LayerCheckpoint"/>). Defaults to false.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// With <see cref="GradientCheckpointing"/>, keep each layer's saved input in pinned host memory rather than on the
    /// device (see <see cref="LayerCheckpoint"/>): for long sequences on a small card. Defaults to false.
    /// </summary>
    public bool OffloadCheckpoints
    {
        get => offloadBuffers is not null;
        set
        {
            if (value == OffloadCheckpoints) return;
            offloadBuffers?.Dispose();
            offloadBuffers = value ? new PinnedBuffers(pin: Device.type == DeviceType.CUDA) : null;
        }
    }

    PinnedBuffers? offloadBuffers;

    /// <summary>
    /// Most tokens a layer's MLP takes at once (see <see cref="MlpChunks"/>): for long sequences, whose MLP activations
    /// would otherwise dominate memory. Null = the whole batch at once. Defaults to null.
    /// </summary>
    public long? MlpChunkTokens
    {
        get => Model.Layers.FirstOrDefault()?.MlpChunkTokens;
        set
        {
            if (value is <= 0) throw new ArgumentOutOfRangeException(nameof(value), value, "must be positive");
            foreach (var layer in Model.Layers) layer.MlpChunkTokens = value;
        }
    }

    /// <summary>True once the decoder's linear projections are stored in NF4 (QLoRA).</summary>
    public bool IsQuantized => Model.Layers.Any(l => l.SelfAttention.QkvWeight is null);

    /// <summary>The output embedding (lm_head, or the input embedding when tied): logits = hidden · Wᵀ.</summary>
    public Tensor OutputWeight => LmHead?.Weight ?? Model.EmbedTokens.Weight;

    /// <summary>Decode through the compiled step where the architecture allows (see <see cref="CompiledDecoder"/>). Defaults to true.</summary>
    public bool UseCompiledDecoding { get; set; } = true;

    /// <summary>
    /// On CUDA, replay the compiled decode step as a CUDA graph where libtorch allows (see <see cref="CudaGraphDecoder"/>).
    /// Defaults to true.
    /// </summary>
    public bool UseCudaGraphs { get; set; } = true;

    /// <summary>The compiled decode step, built on first use; null when disabled or not supported.</summary>
    public CompiledDecoder? CompiledDecoder =>
        UseCompiledDecoding && Compiled.CompiledDecoder.Supports(this) ? compiledDecoder ??= new CompiledDecoder(this) : null;

    /// <param name="projectionStaging">Where the decoder's dense linear weights are first allocated: the CPU when they are to
    /// be quantized layer by layer onto <paramref name="device"/> (see <see cref="DecoderLayer.QuantizeProjections"/>), so the
    /// device never holds the whole dense model; null puts them on <paramref name="device"/>.</param>
    public CausalLM(ModelConfig config, ScalarType dtype, Device device, Device? projectionStaging = null) : base(nameof(CausalLM))
    {
        Config = config;
        DType = dtype;
        Device = device;
        Model = new DecoderStack(config, dtype, device, projectionStaging ?? device);
        register_module("model", Model);
        if (!config.TieWordEmbeddings)
        {
            LmHead = new LinearLayer(config.HiddenSize, config.VocabSize, hasBias: false, dtype, device);
            register_module("lm_head", LmHead);
        }
        Rotary = new RotaryEmbedding(config.Rope, config.HeadDim, config.RotaryDim, config.RotaryInterleaved, device);
    }

    /// <summary>Runs the network; returns logits [B, T, vocab] (or [B, 1, vocab] with LastPositionOnly) in the model dtype.</summary>
    public Tensor Forward(ForwardInput input)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(ForwardHidden(input), OutputWeight).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the network up to the final norm: hidden states [B, T, hidden] (or [B, 1, hidden]) that the output embedding
    /// turns into logits. Training takes these, so the loss can be computed without materializing all logits.
    /// </summary>
    public Tensor ForwardHidden(ForwardInput input)
    {
        using var scope = NewDisposeScope();
        long past = input.Cache?.Length ?? 0;
        long steps = input.InputIds.shape[1];
        var mask = input.Segments is not null
            ? AttentionMask.BuildPacked(input.Segments, Config.SlidingWindow, DType)
            : AttentionMask.Build(input.Padding, past, steps, Config.SlidingWindow, DType, Device);
        // Positions never exceed cache slots (left padding only lowers them), so past + steps bounds them.
        var (cos, sin) = Rotary.Lookup(input.Positions, Math.Max(past + steps, Config.MaxPositionEmbeddings), DType);

        var hidden = Model.EmbedTokens.forward(input.InputIds);
        bool learning = training && is_grad_enabled() && input.Cache is null;
        bool checkpointing = learning && GradientCheckpointing;
        bool drawing = learning && DrawsRandomNumbers;
        if (checkpointing && !hidden.requires_grad)
            hidden = hidden.detach().requires_grad_(true);   // the checkpointed layers join the graph through their input
        foreach (var layer in Model.Layers)
        {
            // Each layer's handles (a custom function's output has two) go when the layer is done, and its input with
            // them, rather than when the forward's scope ends: that scope would keep every layer's output on the device
            // until the whole forward is done, offloaded checkpoints included. What autograd saved, it holds itself.
            using var layerScope = NewDisposeScope();
            var output = learning ? Learn(layer, hidden, cos, sin, mask, checkpointing, drawing) : layer.Forward(hidden, cos, sin, mask, input.Cache);
            hidden.Dispose();
            hidden = output.MoveToOuterDisposeScope();
        }
        input.Cache?.Advance(steps);

        if (input.LastPositionOnly)
            hidden = hidden[.., ^1.., ..];
        return Model.Norm.forward(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>Whether a training forward draws random numbers: adapters with dropout do.</summary>
    public bool DrawsRandomNumbers => Adapters.LoraInjector.Adapters(this).Any(a => a.Dropout > 0);

    Tensor Learn(DecoderLayer layer, Tensor hidden, Tensor cos, Tensor sin, AttentionMask.Plan mask, bool checkpointing, bool drawing)
    {
        // Each layer draws its randomness (dropout) from a seed of its own, so a checkpointed layer can replay it and
        // turning checkpointing on changes no number.
        var seed = LayerSeed.Draw(Device, drawing);
        if (checkpointing) return LayerCheckpoint.Run(layer, hidden, cos, sin, mask, seed, offloadBuffers);
        seed.Apply();
        return layer.Forward(hidden, cos, sin, mask, null);
    }

    /// <summary>Positions for left-padded rows: each row counts from its first real token (transformers' generate rule).</summary>
    public static Tensor PositionsFromPadding(Tensor padding)
    {
        using var scope = NewDisposeScope();
        return (padding.cumsum(1, ScalarType.Int64) - 1).clamp_min(0).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            compiledDecoder?.Dispose();
            offloadBuffers?.Dispose();
            Rotary.Dispose();
        }
        base.Dispose(disposing);
    }
}
