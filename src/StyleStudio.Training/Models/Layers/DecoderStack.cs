using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>The <c>model.</c> part of a causal LM checkpoint: embed_tokens, layers.N, norm.</summary>
public sealed class DecoderStack : nn.Module
{
    public Embedding EmbedTokens { get; }
    public ModuleList<DecoderLayer> Layers { get; }
    public RmsNorm Norm { get; }

    public DecoderStack(ModelConfig config, ScalarType dtype, Device device, Device projectionDevice) : base(nameof(DecoderStack))
    {
        EmbedTokens = new Embedding(config.VocabSize, config.HiddenSize, dtype, device);
        Layers = new ModuleList<DecoderLayer>(
            Enumerable.Range(0, config.NumHiddenLayers).Select(i => new DecoderLayer(config, i, dtype, device, projectionDevice)).ToArray());
        Norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, dtype, device);
        register_module("embed_tokens", EmbedTokens);
        register_module("layers", Layers);
        register_module("norm", Norm);
    }
}
