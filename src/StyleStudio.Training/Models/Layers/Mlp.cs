using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)).</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    public LinearLayer GateProj { get; }
    public LinearLayer UpProj { get; }
    public LinearLayer DownProj { get; }

    public Mlp(ModelConfig config, ScalarType dtype, Device device) : base(nameof(Mlp))
    {
        GateProj = new LinearLayer(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        UpProj = new LinearLayer(config.HiddenSize, config.IntermediateSize, config.MlpBias, dtype, device);
        DownProj = new LinearLayer(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device);
        register_module("gate_proj", GateProj);
        register_module("up_proj", UpProj);
        register_module("down_proj", DownProj);
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(GateProj.forward(hidden)) * UpProj.forward(hidden);
        return DownProj.forward(gated).MoveToOuterDisposeScope();
    }
}
