using StyleStudio.Training.Models.Layers;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// The MLP over a long sequence a slice of tokens at a time. Its intermediate activations are the largest of a layer
/// (gate and up outputs, their product, and their gradients: ~5 × tokens × intermediate size — 12 GB for Qwen2.5-7B at
/// 64k tokens); in slices they take a slice's share. While training, the forward keeps only the input and the backward
/// recomputes each slice and back-propagates through it (a checkpoint within the layer's checkpoint), so slicing costs
/// one more MLP forward and changes no value; dropout is replayed from a seed of its own, as <see cref="LayerCheckpoint"/>
/// does. The MLP works token by token, so slices along the sequence compute exactly what the whole does.
/// </summary>
sealed class MlpChunks : autograd.SingleTensorFunction<MlpChunks>
{
    const string CallKey = "call";

    sealed record Call(Mlp Mlp, long ChunkTokens, LayerSeed Seed);

    public override string Name => nameof(MlpChunks);

    /// <param name="hidden">[B, T, hidden].</param>
    /// <param name="chunkTokens">Most tokens (B × slice length) per slice; null = the whole sequence at once.</param>
    public static Tensor Forward(Mlp mlp, Tensor hidden, long? chunkTokens)
    {
        long batch = hidden.shape[0], steps = hidden.shape[1];
        if (chunkTokens is not { } limit || batch * steps <= limit) return mlp.Forward(hidden);
        long slice = Math.Max(1, limit / batch);
        if (!mlp.training) return Sliced(mlp, hidden, slice);
        // Drawn on every training path alike (a checkpointed layer's first forward runs without autograd, its
        // recomputation with it), so both see the same dropout masks.
        var seed = LayerSeed.Draw(hidden.device);
        if (is_grad_enabled() && hidden.requires_grad)
            return LeanFunction.Apply<MlpChunks>(hidden, new Call(mlp, slice, seed));
        seed.Apply();
        return Sliced(mlp, hidden, slice);
    }

    static Tensor Sliced(Mlp mlp, Tensor hidden, long slice)
    {
        var output = empty_like(hidden);
        for (long start = 0; start < hidden.shape[1]; start += slice)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(slice, hidden.shape[1] - start);
            output.narrow(1, start, length).copy_(mlp.Forward(hidden.narrow(1, start, length)));
        }
        return output;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (hidden, call) = ((Tensor)vars[0], (Call)vars[1]);
        ctx.save_for_backward([hidden]);
        ctx.save_data(CallKey, call);
        call.Seed.Apply();
        using var noGrad = no_grad();
        return Sliced(call.Mlp, hidden, call.ChunkTokens);
    }

    // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        return BackwardFailures.Guard(gradOutput, inputs: 2, () =>
        {
            var call = (Call)ctx.get_data(CallKey);
            using var scope = NewDisposeScope();
            var hidden = ctx.get_saved_variables()[0].detach();
            var gradInput = empty_like(hidden);
            call.Seed.Apply();
            for (long start = 0; start < hidden.shape[1]; start += call.ChunkTokens)
            {
                using var sliceScope = NewDisposeScope();
                long length = Math.Min(call.ChunkTokens, hidden.shape[1] - start);
                var input = hidden.narrow(1, start, length).detach().requires_grad_(true);
                using (enable_grad())
                    call.Mlp.Forward(input).backward([gradOutput.narrow(1, start, length)]);
                gradInput.narrow(1, start, length).copy_(input.grad!);
            }
            return GradientHandoff.Return(gradOutput, gradInput.MoveToOuterDisposeScope(), null);
        });
    }
}
