using static TorchSharp.torch;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// Memory discipline for the backward of custom autograd functions, which libtorch calls back into .NET: the incoming
/// gradient's wrapper belongs to us, and libtorch copies the gradients we return once the callback ends, but their
/// .NET wrappers would otherwise hold the device memory until the garbage collector finalizes them — on a 7B model,
/// gigabytes per step. So the incoming gradient is released at once, and the returned ones at the same thread's next
/// hand-off, by which time libtorch has long taken its copies.
/// </summary>
static class GradientHandoff
{
    [ThreadStatic] static List<Tensor>? returned;

    /// <summary>Releases <paramref name="gradOutput"/> and the previous hand-off; returns <paramref name="gradients"/> for libtorch.</summary>
    public static List<Tensor> Return(Tensor gradOutput, params Tensor?[] gradients)
    {
        returned?.ForEach(t => t.Dispose());
        gradOutput.Dispose();
        returned = gradients.OfType<Tensor>().ToList();
        return gradients.Select(g => g!).ToList();
    }
}
