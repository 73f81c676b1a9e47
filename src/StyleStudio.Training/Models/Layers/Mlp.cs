using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)).</summary>
public sealed class Mlp : ProjectionHost
{
    /// <summary>gate and up weights stacked by rows ([2·I, hidden]); gate_proj/up_proj are views of it.</summary>
    public Tensor GateUpWeight { get; }
    /// <summary>Their biases stacked likewise, for the rare architecture with MLP biases.</summary>
    public Tensor? GateUpBias { get; }
    public LinearLayer GateProj { get; }
    public LinearLayer UpProj { get; }
    public LinearLayer DownProj { get; }

    public Mlp(ModelConfig config, ScalarType dtype, Device device) : base(nameof(Mlp))
    {
        long rows = config.IntermediateSize;
        GateUpWeight = empty([2 * rows, config.HiddenSize], dtype, device).DetachFromDisposeScope();
        GateUpBias = config.MlpBias ? empty([2 * rows], dtype, device).DetachFromDisposeScope() : null;
        GateProj = AddProjection("gate_proj", new LinearLayer(GateUpWeight.narrow(0, 0, rows), GateUpBias?.narrow(0, 0, rows)));
        UpProj = AddProjection("up_proj", new LinearLayer(GateUpWeight.narrow(0, rows, rows), GateUpBias?.narrow(0, rows, rows)));
        DownProj = AddProjection("down_proj", new LinearLayer(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, device));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            GateUpWeight.Dispose();
            GateUpBias?.Dispose();
        }
        base.Dispose(disposing);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gated = nn.functional.silu(Project("gate_proj", hidden)) * Project("up_proj", hidden);
        return Project("down_proj", gated).MoveToOuterDisposeScope();
    }
}
