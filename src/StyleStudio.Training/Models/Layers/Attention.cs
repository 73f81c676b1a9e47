using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// Grouped-query self-attention on SDPA: q/k/v projections (optional bias), optional per-head q/k RMSNorm (Qwen3),
/// rotary positions, KV cache, output projection. Submodules carry Hugging Face names (q_proj … o_proj, q_norm, k_norm).
/// </summary>
public sealed class Attention : ProjectionHost
{
    readonly int heads, kvHeads, headDim;
    readonly bool interleavedRotary;

    /// <summary>
    /// q, k and v weights stacked by rows ([(H + 2·KV)·D, hidden]); q_proj/k_proj/v_proj are views of it. Null once the
    /// projections are quantized.
    /// </summary>
    public Tensor? QkvWeight { get; private set; }
    /// <summary>Their biases stacked likewise, when the architecture has them.</summary>
    public Tensor? QkvBias { get; private set; }
    public RmsNorm? QNorm { get; }
    public RmsNorm? KNorm { get; }

    /// <param name="projectionDevice">Where the dense projection weights live until quantized; normally <paramref name="device"/>.</param>
    public Attention(ModelConfig config, ScalarType dtype, Device device, Device projectionDevice) : base(nameof(Attention))
    {
        heads = config.NumAttentionHeads;
        kvHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        interleavedRotary = config.RotaryInterleaved;
        // One buffer for q, k and v lets decoding run a single matmul, while the three HF-named parameters stay views of it.
        long qRows = heads * headDim, kvRows = kvHeads * headDim;
        var qkv = empty([qRows + 2 * kvRows, config.HiddenSize], dtype, projectionDevice).DetachFromDisposeScope();
        var qkvBias = config.QkvBias ? empty([qRows + 2 * kvRows], dtype, projectionDevice).DetachFromDisposeScope() : null;
        (QkvWeight, QkvBias) = (qkv, qkvBias);
        LinearLayer Slice(long start, long rows) => new(qkv.narrow(0, start, rows), qkvBias?.narrow(0, start, rows));
        AddProjection("q_proj", Slice(0, qRows));
        AddProjection("k_proj", Slice(qRows, kvRows));
        AddProjection("v_proj", Slice(qRows + kvRows, kvRows));
        AddProjection("o_proj", new LinearLayer(heads * headDim, config.HiddenSize, config.OutputBias, dtype, projectionDevice));
        if (config.QkNorm)
        {
            QNorm = new RmsNorm(headDim, config.RmsNormEps, dtype, device);
            KNorm = new RmsNorm(headDim, config.RmsNormEps, dtype, device);
            register_module("q_norm", QNorm);
            register_module("k_norm", KNorm);
        }
    }

    /// <summary>The base o_proj (dense or quantized), whatever adapter wraps it.</summary>
    public BaseProjection OProj => BaseLayers["o_proj"];

    protected override void ReleaseFusedStorage()
    {
        QkvWeight?.Dispose();
        QkvBias?.Dispose();
        (QkvWeight, QkvBias) = (null, null);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) ReleaseFusedStorage();
        base.Dispose(disposing);
    }

    /// <param name="hidden">[B, T, hidden].</param>
    /// <param name="cos">[B, 1, T, D] rotary table rows for these positions; <paramref name="sin"/> likewise.</param>
    /// <returns>[B, T, hidden].</returns>
    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, AttentionMask.Plan mask, KvCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long batch = hidden.shape[0], steps = hidden.shape[1];
        var qkv = ProjectShared(["q_proj", "k_proj", "v_proj"], hidden, QkvWeight, QkvBias);
        var q = qkv[0].view(batch, steps, heads, headDim);
        var k = qkv[1].view(batch, steps, kvHeads, headDim);
        var v = qkv[2].view(batch, steps, kvHeads, headDim).transpose(1, 2);
        if (QNorm is not null && KNorm is not null)
        {
            q = QNorm.forward(q);
            k = KNorm.forward(k);
        }
        q = RotaryKernel.Apply(q.transpose(1, 2), cos, sin, interleavedRotary, training);  // [B, H, T, D]
        k = RotaryKernel.Apply(k.transpose(1, 2), cos, sin, interleavedRotary, training);  // [B, KV, T, D]
        if (cache is not null)
            (k, v) = cache.Append(layer, k, v);                  // [B, KV, S, D]

        var attended = steps == 1 ? AttendOneStep(q, k, v, mask) : AttendMany(q, k, v, mask);
        var merged = attended.transpose(1, 2).reshape(batch, steps, heads * headDim);
        return Project("o_proj", merged).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decoding: fold each KV head's group of query heads into the query-length axis ([B, KV, G, D]) so keys and values
    /// are never repeated; one query needs no causal mask, only padding/window masking, which broadcasts over the group.
    /// </summary>
    Tensor AttendOneStep(Tensor q, Tensor k, Tensor v, AttentionMask.Plan mask)
    {
        long batch = q.shape[0];
        var grouped = q.reshape(batch, kvHeads, heads / kvHeads, headDim);
        var output = nn.functional.scaled_dot_product_attention(grouped, k, v, mask.Mask);
        return output.reshape(batch, heads, 1, headDim);
    }

    /// <summary>Prefill / training: repeat K/V heads to match queries (TorchSharp's SDPA has no GQA flag).</summary>
    Tensor AttendMany(Tensor q, Tensor k, Tensor v, AttentionMask.Plan mask)
    {
        int groups = heads / kvHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, dim: 1);
            v = v.repeat_interleave(groups, dim: 1);
        }
        return nn.functional.scaled_dot_product_attention(q, k, v, mask.Mask, is_casual: mask.Causal);
    }
}
