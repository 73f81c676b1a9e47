using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Runtime;

public class LeanFunctionTests
{
    sealed class Cube : autograd.SingleTensorFunction<Cube>
    {
        public override string Name => nameof(Cube);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            ctx.save_for_backward([x]);
            return x.pow(3);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            [gradOutput * 3 * ctx.get_saved_variables()[0].pow(2)];
    }

    [Fact]
    public void This_torchsharp_lets_the_spare_output_copy_go()
    {
        // A TorchSharp update that renames the node's internals would silently bring back a copy of every checkpointed
        // layer's output (12.5 GB at 64k tokens of a 7B model): fail here instead.
        Assert.True(LeanFunction.Supported);
    }

    [Fact]
    public void Gradients_flow_as_through_the_plain_function()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1f, -2f, 0.5f }).requires_grad_(true);
        var y = LeanFunction.Apply<Cube>(x);
        (y * tensor(new[] { 1f, 2f, 3f })).sum().backward();
        Assert.Equal(new[] { 1f, -8f, 0.125f }, y.detach().data<float>().ToArray());
        Assert.Equal(new[] { 3f, 24f, 2.25f }, x.grad!.data<float>().ToArray());
    }
}
