using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)).</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    /// <summary>gate and up weights stacked by rows ([2·I, hidden]); gate_proj/up_proj are views of it.</summary>
    public Tensor GateUpWeight { get; }
    public LinearLayer GateProj { get; }
    public LinearLayer UpProj { get; }
    public LinearLayer DownProj { get; }

    public Mlp(ModelConfig config, ScalarType dtype, Device device) : base(nameof(Mlp))
    {
        long rows = config.IntermediateSize;
        GateUpWeight = empty([2 * rows, config.HiddenSize], dtype, device).DetachFromDisposeScope();
        var bias = config.MlpBias ? empty([2 * rows], dtype, device) : null;
        GateProj = new LinearLayer(GateUpWeight.narrow(0, 0, rows), bias?.narrow(0, 0, rows));
        UpProj = new LinearLayer(GateUpWeight.narrow(0, rows, rows), bias?.narrow(0, rows, rows));
        DownProj = new LinearLayer(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device);
        register_module("gate_proj", GateProj);
        register_module("up_proj", UpProj);
        register_module("down_proj", DownProj);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) GateUpWeight.Dispose();
        base.Dispose(disposing);
    }

    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(GateProj.forward(hidden)) * UpProj.forward(hidden);
        return DownProj.forward(gated).MoveToOuterDisposeScope();
    }
}
