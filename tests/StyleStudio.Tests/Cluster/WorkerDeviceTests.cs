using StyleStudio.Training.Runtime;

namespace StyleStudio.Tests.Cluster;

/// <summary>A worker's --device as README's cluster steps write it: cpu, cuda, auto, or cuda:N for one GPU of several.</summary>
public sealed class WorkerDeviceTests
{
    [Theory]
    [InlineData("cpu", DevicePreference.Cpu, null)]
    [InlineData("CUDA", DevicePreference.Cuda, null)]
    [InlineData("auto", DevicePreference.Auto, null)]
    [InlineData("cuda:1", DevicePreference.Cuda, 1)]
    [InlineData("cuda:0", DevicePreference.Cuda, 0)]
    public void A_device_names_its_kind_and_cuda_N_its_GPU(string device, DevicePreference kind, int? gpu)
    {
        Assert.Equal(kind, TrainingWorkerOptions.ParseDevice(device));
        Assert.Equal(gpu, TrainingWorkerOptions.CudaIndex(device));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("1")]
    [InlineData("cuda:x")]
    [InlineData("cuda:-1")]
    public void Anything_else_is_refused_with_the_choices(string device)
    {
        var error = Assert.Throws<ArgumentException>(() => TrainingWorkerOptions.ParseDevice(device));
        Assert.Equal($"--device '{device}' is not one of cpu, cuda, cuda:N, auto", error.Message);
    }
}
