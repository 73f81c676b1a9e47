using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Runtime;

public class TorchSharpLoadsTests
{
    [Fact]
    public void Native_library_loads_and_computes_with_autograd()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2], requires_grad: true);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var product = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, product.data<float>().ToArray());

        using var sum = product.sum();
        sum.backward();
        // d(sum(A·B))/dA = 1·Bᵀ summed over rows: each row of the gradient is the row sums of B.
        Assert.Equal(new float[] { 11, 15, 11, 15 }, a.grad!.data<float>().ToArray());
    }
}
