using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Runtime;

public class BackwardFailuresTests
{
    /// <summary>A function whose backward fails the way a recomputation that runs out of device memory does.</summary>
    sealed class FailingBackward : autograd.SingleTensorFunction<FailingBackward>
    {
        public override string Name => nameof(FailingBackward);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]) * 2;

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            BackwardFailures.Guard(gradOutput, inputs: 1, () => throw new InvalidOperationException("CUDA out of memory (simulated)"));
    }

    [Fact]
    public void A_failure_in_a_backward_callback_is_raised_after_backward_and_the_process_lives_on()
    {
        using var scope = NewDisposeScope();
        var x = ones(3).requires_grad_(true);
        var other = ones(3).requires_grad_(true);
        // Without the guard the exception would cross libtorch's native callback and end this test process.
        (FailingBackward.apply(x).sum() + (other * 3).sum()).backward();
        var error = Assert.Throws<InvalidOperationException>(BackwardFailures.ThrowIfAny);
        Assert.Contains("out of memory", error.Message);
        Assert.Equal(new[] { 3f, 3f, 3f }, other.grad!.data<float>().ToArray());   // the rest of the backward finished
        BackwardFailures.ThrowIfAny();                                              // and the failure was raised once
    }
}
