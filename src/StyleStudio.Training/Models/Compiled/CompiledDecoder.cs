using System.Reflection;
using StyleStudio.Training.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Compiled;

/// <summary>
/// The decode fast path: one new token per row through every layer in a single call into libtorch's TorchScript
/// interpreter (decode_step.torchscript). Eager TorchSharp pays a .NET→native transition, an error check and a dispose for
/// every one of the ~60 ops per layer, so decoding a small model is bound by that overhead, not by the GPU; scripted, the
/// ops run back to back in C++. Works on the model's own parameter storage and KV cache: no weights are copied.
/// (TorchSharp does not guard jit.compile: a script error terminates the process, so the script is fixed and tested.)
/// </summary>
public sealed class CompiledDecoder : IDisposable
{
    static readonly string Source = ReadSource();

    readonly CausalLM model;
    readonly jit.CompilationUnit unit;
    readonly Tensor[] layerWeights, postNorms;
    readonly Tensor absent;
    // TorchSharp hands a long or double argument to TorchScript as a temporary native Scalar that nothing keeps alive:
    // a garbage collection during the call may finalize it, and the script then reads freed memory (seen as
    // "c10::Scalar::toLong()" failures under load). The decoder passes Scalars it owns instead.
    readonly Scalar rmsNormEps, maskMinValue;

    /// <summary>
    /// Models the script covers: no MLP bias, and every projection running its base weight (no adapter, or one merged
    /// into the base), since the script reads the fused base buffers directly.
    /// </summary>
    public static bool Supports(CausalLM model) =>
        !model.Config.MlpBias
        && model.Model.Layers.All(layer => layer.SelfAttention.Active.Values.Concat(layer.Mlp.Active.Values)
            .All(p => p is LinearLayer || p is Adapters.LoraLinear { Merged: true }));

    public CompiledDecoder(CausalLM model)
    {
        if (!Supports(model)) throw new NotSupportedException("the compiled decode step covers neither MLP biases nor unmerged adapters");
        this.model = model;
        unit = jit.compile(Source);
        absent = empty(0, model.DType, model.Device).DetachFromDisposeScope();
        rmsNormEps = model.Config.RmsNormEps.ToScalar();
        maskMinValue = AttentionMask.MinValue(model.DType).ToScalar();
        layerWeights = model.Model.Layers.SelectMany(layer => LayerWeights(layer, absent)).ToArray();
        postNorms = PostNorms(model);
    }

    /// <summary>GLM-4-0414's attention- and MLP-output norms, two per layer; empty for models without them.</summary>
    internal static Tensor[] PostNorms(CausalLM model) =>
        model.Config.SublayerOutputNorms
            ? model.Model.Layers.SelectMany(layer => new[] { layer.PostSelfAttnLayerNorm!.Weight, layer.PostMlpLayerNorm!.Weight }).ToArray()
            : [];

    /// <summary>A layer's weights in the scripts' order (ten per layer; <paramref name="absent"/> for those it lacks).</summary>
    internal static IEnumerable<Tensor> LayerWeights(DecoderLayer layer, Tensor absent)
    {
        var attention = layer.SelfAttention;
        yield return layer.InputLayerNorm.Weight;
        var outputProjection = (LinearLayer)attention.OProj;     // Supports() admits dense projections only
        yield return attention.QkvWeight!;
        yield return attention.QkvBias ?? absent;
        yield return (Tensor?)attention.QNorm?.Weight ?? absent;
        yield return (Tensor?)attention.KNorm?.Weight ?? absent;
        yield return outputProjection.Weight;
        yield return (Tensor?)outputProjection.Bias ?? absent;
        yield return layer.PostAttentionLayerNorm.Weight;
        yield return layer.Mlp.GateUpWeight!;
        yield return ((LinearLayer)layer.Mlp.DownProj).Weight;
    }

    /// <summary>Feeds one token per row at cache slot <see cref="KvCache.Length"/>, then advances the cache.</summary>
    /// <param name="ids">[B, 1] int64.</param>
    /// <param name="positions">[B] int64 rotary positions.</param>
    /// <param name="keyValid">[B, capacity] bool: false for padding slots of left-padded prompts.</param>
    /// <param name="padded">Whether any prompt was padded; without padding (and sliding window) no mask is needed.</param>
    /// <returns>Logits [B, vocab] in the model dtype.</returns>
    public Tensor Step(Tensor ids, Tensor positions, Tensor keyValid, bool padded, KvCache cache)
    {
        var config = model.Config;
        bool unmasked = !padded && (config.SlidingWindow is null || cache.Capacity <= config.SlidingWindow);
        using var slot = cache.Length.ToScalar();
        var logits = Invoke("decode_step", ids, positions, slot, keyValid, cache, [unmasked]);
        cache.Advance(1);
        return logits;
    }

    /// <summary>
    /// Like <see cref="Step"/>, but the cache slot is a one-element int64 tensor and the cache is not advanced: every
    /// argument keeps its shape and host-side value from step to step, so one CUDA graph of this call replays any step
    /// (see <see cref="CudaGraphDecoder"/>).
    /// </summary>
    internal Tensor StepAt(Tensor ids, Tensor positions, Tensor slot, Tensor keyValid, KvCache cache) =>
        Invoke("decode_step_at", ids, positions, slot, keyValid, cache, []);

    Tensor Invoke(string function, Tensor ids, Tensor positions, object slot, Tensor keyValid, KvCache cache, object[] extra)
    {
        var config = model.Config;
        var (cos, sin) = model.Rotary.CosAndSignedSin(Math.Max(cache.Capacity, config.MaxPositionEmbeddings));
        var lmHead = (Tensor?)model.LmHead?.Weight ?? model.Model.EmbedTokens.Weight;
        object[] arguments =
        [
            ids, positions, slot, keyValid, model.Model.EmbedTokens.Weight, layerWeights, model.Model.Norm.Weight, lmHead,
            cache.Keys, cache.Values, cos, sin,
            config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim, rmsNormEps, config.SlidingWindow ?? 0,
            maskMinValue, config.QkvBias, config.OutputBias, config.QkNorm, config.RotaryInterleaved, postNorms, .. extra,
        ];
        return (Tensor)unit.invoke(function, arguments);
    }

    static string ReadSource()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("StyleStudio.Training.decode_step.torchscript")
            ?? throw new InvalidOperationException("decode_step.torchscript is not embedded");
        return new StreamReader(stream).ReadToEnd();
    }

    public void Dispose()
    {
        unit.Dispose();
        absent.Dispose();
        rmsNormEps.Dispose();
        maskMinValue.Dispose();
    }
}
