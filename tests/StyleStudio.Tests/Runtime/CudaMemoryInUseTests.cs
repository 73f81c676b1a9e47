using StyleStudio.Tests.Support;
using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Runtime;

/// <summary>
/// The GPU memory the studio reports (run pages, estimates, benchmarks) is that of the GPU this process computes on:
/// NVML finds it by the PCI address the CUDA driver gives for the CUDA index, so a worker pinned to GPU 1 (which CUDA
/// then calls cuda:0) reports GPU 1, not NVML's GPU 0.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaMemoryInUseTests
{
    [Fact]
    public void Memory_in_use_follows_an_allocation_on_the_device_computed_on()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        var device = ComputeDevice.Select(DevicePreference.Cuda, 0);
        Assert.NotNull(device.TotalMemoryBytes);
        Assert.DoesNotContain("CUDA device", device.Name);            // NVML named it
        using (var warm = ones(1, device: device.Device)) torch.cuda.synchronize();
        long before = ComputeDevice.MemoryInUse(device.Device) ?? throw new InvalidOperationException("NVML gave no figure");
        const long gib = 1L << 30;
        using var block = empty(gib, ScalarType.Int8, device.Device).fill_(1);
        torch.cuda.synchronize();
        long after = ComputeDevice.MemoryInUse(device.Device)!.Value;
        Assert.InRange(after - before, gib * 95 / 100, gib * 115 / 100);
    }
}
