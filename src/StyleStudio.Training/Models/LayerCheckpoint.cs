using StyleStudio.Training.Models.Layers;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// Gradient checkpointing of one decoder layer: the forward keeps only the layer's input, and the backward runs the
/// layer again with autograd on and back-propagates through that. Memory then holds one layer's activations instead
/// of all of them, for about one extra forward pass. Random draws (dropout) are replayed from the layer's seed, so the
/// recomputation sees the same masks. (TorchSharp has no torch.utils.checkpoint.) With offloading, the kept input waits
/// in pinned host memory instead — all layers' inputs are tokens × hidden × layers × 2 bytes, 12.8 GB for Qwen2.5-7B at
/// 64k tokens — copied out asynchronously on the compute stream and back when the backward reaches the layer.
/// </summary>
sealed class LayerCheckpoint : autograd.SingleTensorFunction<LayerCheckpoint>
{
    const string CallKey = "call", HostKey = "host";

    /// <summary>What the recomputation needs besides the input. Tensors are private aliases, alive until the backward.</summary>
    sealed record Call(DecoderLayer Layer, Tensor Cos, Tensor Sin, Tensor? Mask, bool Causal, LayerSeed Seed, PinnedBuffers? Offload);

    public override string Name => nameof(LayerCheckpoint);

    /// <param name="hidden">The layer input; it must require grad (so the node joins the graph).</param>
    /// <param name="offload">Where to keep the input until the backward, in host memory; null = on the device.</param>
    public static Tensor Run(DecoderLayer layer, Tensor hidden, Tensor cos, Tensor sin, AttentionMask.Plan mask, LayerSeed seed, PinnedBuffers? offload)
    {
        var call = new Call(layer, Keep(cos), Keep(sin), mask.Mask is { } m ? Keep(m) : null, mask.Causal, seed, offload);
        return LeanFunction.Apply<LayerCheckpoint>(hidden, call);
    }

    static Tensor Keep(Tensor tensor) => tensor.alias().DetachFromDisposeScope();

    /// <summary>An asynchronous copy into a page-locked buffer, which outlives the forward's scope.</summary>
    static (Tensor Buffer, Tensor View) ToHost(Tensor hidden, PinnedBuffers buffers)
    {
        var (buffer, view) = buffers.Rent(hidden.shape, hidden.dtype);
        view.copy_(hidden.detach(), nonBlocking: true);
        return (buffer, view);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (hidden, call) = ((Tensor)vars[0], (Call)vars[1]);
        if (call.Offload is { } buffers)
            ctx.save_data(HostKey, ToHost(hidden, buffers));
        else
            ctx.save_for_backward([hidden]);
        ctx.save_data(CallKey, call);
        call.Seed.Apply();
        return call.Layer.Forward(hidden, call.Cos, call.Sin, new AttentionMask.Plan(call.Mask, call.Causal), cache: null);
    }

    // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        return BackwardFailures.Guard(gradOutput, inputs: 2, () =>
        {
            var call = (Call)ctx.get_data(CallKey);
            using var scope = NewDisposeScope();
            Tensor input;
            if (call.Offload is { } buffers)
            {
                // Queued on the stream the recomputation runs on, before anything that could write the buffer again.
                var (buffer, view) = ((Tensor, Tensor))ctx.get_data(HostKey);
                input = view.to(call.Cos.device, non_blocking: view.is_pinned()).requires_grad_(true);
                view.Dispose();
                buffers.Return(buffer);
            }
            else
                input = ctx.get_saved_variables()[0].detach().requires_grad_(true);
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
        });
    }
}
