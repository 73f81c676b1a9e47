using StyleStudio.Tests.Support;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Runtime;

/// <summary>
/// Work that fails while being captured (here a read to the host, which would wait for the device) fails the capture
/// with a .NET exception naming the cause, instead of ending the process (libtorch's capture_end throws a C++ exception
/// no .NET frame can catch when the capture was invalidated), and graphs captured afterwards work, also when they share a
/// memory pool.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaGraphCaptureTests
{
    [Fact]
    public void An_invalidated_capture_fails_cleanly_and_later_captures_work()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available() || !CudaGraph.IsAvailable)
            Assert.Skip("CUDA graphs are not available on this machine");
        var device = torch.CUDA;
        using var input = arange(8, ScalarType.Float32, device);
        using var output = zeros(8, ScalarType.Float32, device);

        var failure = Assert.Throws<CudaGraphCaptureException>(() => CudaGraph.Capture(device, () =>
        {
            using var sum = input.sum();
            output.fill_(sum.item<float>());     // a host read: not allowed while capturing
        }, warmups: 0));
        Assert.Contains("capture failed", failure.Message);
        Assert.NotNull(failure.InnerException);

        using var doubled = CudaGraph.Capture(device, () => output.copy_(input * 2), warmups: 0);
        using var shifted = CudaGraph.Capture(device, () => output.add_(input + 1), warmups: 0, sharePoolWith: doubled);
        input.fill_(3);
        doubled.Replay();
        shifted.Replay();
        Assert.Equal(Enumerable.Repeat(10f, 8), output.cpu().data<float>().ToArray());    // 3·2 + (3 + 1)
    }
}
