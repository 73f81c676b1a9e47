using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>Pre-norm transformer block: x + attn(norm(x)), then + mlp(norm(·)).</summary>
public sealed class DecoderLayer : nn.Module
{
    readonly int index;

    public RmsNorm InputLayerNorm { get; }
    public Attention SelfAttention { get; }
    public RmsNorm PostAttentionLayerNorm { get; }
    public Mlp Mlp { get; }

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
        var attended = hidden + SelfAttention.Forward(InputLayerNorm.forward(hidden), cos, sin, mask, cache, index);
        return (attended + Mlp.Forward(PostAttentionLayerNorm.forward(attended))).MoveToOuterDisposeScope();
    }
}
