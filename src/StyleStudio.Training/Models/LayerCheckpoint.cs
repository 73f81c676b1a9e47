using StyleStudio.Training.Models.Layers;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// Gradient checkpointing of one decoder layer: the forward keeps only the layer's input, and the backward runs the
/// layer again with autograd on and back-propagates through that. Memory then holds one layer's activations instead
/// of all of them, for about one extra forward pass. Random draws (dropout) are replayed from the layer's seed, so the
/// recomputation sees the same masks. (TorchSharp has no torch.utils.checkpoint.)
/// </summary>
sealed class LayerCheckpoint : autograd.SingleTensorFunction<LayerCheckpoint>
{
    const string CallKey = "call";

    /// <summary>What the recomputation needs besides the input. Tensors are private aliases, alive until the backward.</summary>
    sealed record Call(DecoderLayer Layer, Tensor Cos, Tensor Sin, Tensor? Mask, bool Causal, LayerSeed Seed);

    public override string Name => nameof(LayerCheckpoint);

    /// <param name="hidden">The layer input; it must require grad (so the node joins the graph).</param>
    public static Tensor Run(DecoderLayer layer, Tensor hidden, Tensor cos, Tensor sin, AttentionMask.Plan mask, LayerSeed seed)
    {
        var call = new Call(layer, Keep(cos), Keep(sin), mask.Mask is { } m ? Keep(m) : null, mask.Causal, seed);
        return apply(hidden, call);
    }

    static Tensor Keep(Tensor tensor) => tensor.alias().DetachFromDisposeScope();

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (hidden, call) = ((Tensor)vars[0], (Call)vars[1]);
        ctx.save_for_backward([hidden]);
        ctx.save_data(CallKey, call);
        call.Seed.Apply();
        return call.Layer.Forward(hidden, call.Cos, call.Sin, new AttentionMask.Plan(call.Mask, call.Causal), cache: null);
    }

    // Runs inside a native callback: an exception here would end the process, and so would returning fewer entries than inputs.
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var call = (Call)ctx.get_data(CallKey);
        using var scope = NewDisposeScope();
        var input = ctx.get_saved_variables()[0].detach().requires_grad_(true);
        call.Seed.Apply();
        using (enable_grad())
        {
            var output = call.Layer.Forward(input, call.Cos, call.Sin, new AttentionMask.Plan(call.Mask, call.Causal), cache: null);
            output.backward([gradOutput]);
        }
        call.Cos.Dispose();
        call.Sin.Dispose();
        call.Mask?.Dispose();
        return GradientHandoff.Return(gradOutput, input.grad!.MoveToOuterDisposeScope(), null);
    }
}
