using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// SwiGLU feed-forward: down_proj(silu(gate_proj(x)) · up_proj(x)). GLM stores gate and up as one weight, gate_up_proj
/// (gate rows first), and adapters wrap it whole, so that model has that one projection where others have two.
/// </summary>
public sealed class Mlp : ProjectionHost
{
    /// <summary>gate and up weights stacked by rows ([2·I, hidden]); gate_proj/up_proj are views of it. Null once quantized.</summary>
    public Tensor? GateUpWeight { get; private set; }
    /// <summary>Their biases stacked likewise, for the rare architecture with MLP biases.</summary>
    public Tensor? GateUpBias { get; private set; }

    readonly bool fused;

    /// <summary>The base down_proj (dense or quantized), whatever adapter wraps it.</summary>
    public BaseProjection DownProj => BaseLayers["down_proj"];

    /// <param name="projectionDevice">Where the dense projection weights live until quantized; normally <paramref name="device"/>.</param>
    public Mlp(ModelConfig config, ScalarType dtype, Device projectionDevice) : base(nameof(Mlp))
    {
        long rows = config.IntermediateSize;
        var gateUp = empty([2 * rows, config.HiddenSize], dtype, projectionDevice).DetachFromDisposeScope();
        var gateUpBias = config.MlpBias ? empty([2 * rows], dtype, projectionDevice).DetachFromDisposeScope() : null;
        (GateUpWeight, GateUpBias) = (gateUp, gateUpBias);
        fused = config.FusedGateUp;
        if (fused)
            // A new handle on the same storage: a Parameter takes over the handle it is given, and GateUpWeight keeps its own.
            AddProjection("gate_up_proj", new LinearLayer(gateUp.alias(), gateUpBias?.alias()));
        else
        {
            AddProjection("gate_proj", new LinearLayer(gateUp.narrow(0, 0, rows), gateUpBias?.narrow(0, 0, rows)));
            AddProjection("up_proj", new LinearLayer(gateUp.narrow(0, rows, rows), gateUpBias?.narrow(0, rows, rows)));
        }
        AddProjection("down_proj", new LinearLayer(config.IntermediateSize, config.HiddenSize, config.MlpBias, dtype, projectionDevice));
    }

    protected override void ReleaseFusedStorage()
    {
        GateUpWeight?.Dispose();
        GateUpBias?.Dispose();
        (GateUpWeight, GateUpBias) = (null, null);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) ReleaseFusedStorage();
        base.Dispose(disposing);
    }

    public Tensor Forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gateUp = fused ? Project("gate_up_proj", hidden).chunk(2, -1)
            : ProjectShared(["gate_proj", "up_proj"], hidden, GateUpWeight, GateUpBias);
        var gated = SwiGlu.Apply(gateUp[0], gateUp[1], training);
        return Project("down_proj", gated).MoveToOuterDisposeScope();
    }
}
