using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// Pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(·)); GLM-4-0414 also norms each sublayer's output
/// before its residual add.
/// </summary>
public sealed class DecoderLayer : nn.Module
{
    readonly int index;

    public RmsNorm InputLayerNorm { get; }
    public Attention SelfAttention { get; }
    public RmsNorm PostAttentionLayerNorm { get; }
    public Mlp Mlp { get; }
    /// <summary>GLM-4-0414's norms of the attention and MLP outputs; null elsewhere.</summary>
    public RmsNorm? PostSelfAttnLayerNorm { get; }
    public RmsNorm? PostMlpLayerNorm { get; }

    /// <summary>Most tokens the MLP takes at once (see <see cref="MlpChunks"/>); null = the whole sequence. Defaults to null.</summary>
    public long? MlpChunkTokens { get; set; }

    public DecoderLayer(ModelConfig config, int index, ScalarType dtype, Device device, Device projectionDevice) : base(nameof(DecoderLayer))
    {
        this.index = index;
        InputLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        SelfAttention = new Attention(config, dtype, device, projectionDevice);
        PostAttentionLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        Mlp = new Mlp(config, dtype, projectionDevice);
        register_module("input_layernorm", InputLayerNorm);
        register_module("self_attn", SelfAttention);
        register_module("post_attention_layernorm", PostAttentionLayerNorm);
        register_module("mlp", Mlp);
        if (config.SublayerOutputNorms)
        {
            PostSelfAttnLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
            PostMlpLayerNorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
            register_module("post_self_attn_layernorm", PostSelfAttnLayerNorm);
            register_module("post_mlp_layernorm", PostMlpLayerNorm);
        }
    }

    /// <summary>QLoRA: every linear projection of this block to NF4 on <paramref name="device"/>, dense storage freed.</summary>
    public void QuantizeProjections(Device device)
    {
        SelfAttention.QuantizeProjections(device);
        Mlp.QuantizeProjections(device);
    }

    public Tensor Forward(Tensor hidden, Tensor cos, Tensor sin, AttentionMask.Plan mask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var attention = SelfAttention.Forward(InputLayerNorm.forward(hidden), cos, sin, mask, cache, index);
        var attended = hidden + (PostSelfAttnLayerNorm?.forward(attention) ?? attention);
        var mlp = MlpChunks.Forward(Mlp, PostAttentionLayerNorm.forward(attended), MlpChunkTokens);
        return (attended + (PostMlpLayerNorm?.forward(mlp) ?? mlp)).MoveToOuterDisposeScope();
    }
}
