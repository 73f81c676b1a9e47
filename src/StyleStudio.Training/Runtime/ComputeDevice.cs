using TorchSharp;

namespace StyleStudio.Training.Runtime;

/// <summary>The device a model runs on, with what users need to know about it.</summary>
/// <param name="Device">The TorchSharp device.</param>
/// <param name="Name">GPU or CPU model name.</param>
/// <remarks>Pages render the parts themselves (in the reader's language); <see cref="ToString"/> is for logs and the CLI.</remarks>
/// <param name="TotalMemoryBytes">GPU memory, or the memory available to this process on CPU; null when unknown.</param>
public sealed record ComputeDevice(torch.Device Device, string Name, long? TotalMemoryBytes)
{
    public bool IsCuda => Device.type == DeviceType.CUDA;

    /// <summary>The hardware threads a CPU device computes on; null for a GPU.</summary>
    public int? Threads { get; init; }

    /// <summary>"cpu" or "cuda".</summary>
    public string Kind => Device.type.ToString().ToLowerInvariant();

    /// <summary>The memory as people read it ("23.5 GiB"); null when unknown.</summary>
    public string? MemoryText => TotalMemoryBytes is { } bytes ? $"{bytes / (1024.0 * 1024 * 1024):F1} GiB" : null;

    public override string ToString()
    {
        var parts = new List<string> { Name };
        if (Threads is { } threads) parts.Add($"{threads} threads");
        if (MemoryText is { } memory) parts.Add(memory);
        return $"{Kind} ({string.Join(", ", parts)})";
    }

    /// <summary>Memory in use now: the GPU's (all processes, as nvidia-smi shows) on CUDA, this process's resident set on CPU.</summary>
    public static long? MemoryInUse(torch.Device device) =>
        device.type == DeviceType.CUDA ? Nvml.UsedBytes(device.index < 0 ? 0 : device.index) : Environment.WorkingSet;

    /// <summary>
    /// Resolves a preference to a device; asking for CUDA where none is usable is an error, not a silent fallback.
    /// <paramref name="gpuIndex"/> picks one GPU of several (CUDA only); null takes the current one.
    /// </summary>
    public static ComputeDevice Select(DevicePreference preference, int? gpuIndex = null)
    {
        if (gpuIndex is { } index)
        {
            if (preference == DevicePreference.Cpu) throw new ArgumentException($"cuda:{index} was asked for together with the CPU");
            preference = DevicePreference.Cuda;
        }
        if (preference != DevicePreference.Cpu && CudaUsable())
        {
            if (gpuIndex is not { } chosen)
            {
                var (name, total) = Nvml.DescribeGpu(0);
                return new ComputeDevice(torch.CUDA, name ?? "CUDA device 0", total);
            }
            int count = torch.cuda.device_count();
            if (chosen < 0 || chosen >= count)
                throw new InvalidOperationException($"cuda:{chosen} is not present: this machine has {count} CUDA device{(count == 1 ? "" : "s")} (cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")})");
            var (gpuName, gpuTotal) = Nvml.DescribeGpu(chosen);
            return new ComputeDevice(torch.device(DeviceType.CUDA, chosen), gpuName ?? $"CUDA device {chosen}", gpuTotal);
        }
        if (preference == DevicePreference.Cuda)
            throw new InvalidOperationException(
                "CUDA was requested but is not available: build with -p:TorchBackend=external (and put a CUDA libtorch, e.g. " +
                "PyTorch's torch/lib, on LD_LIBRARY_PATH) or -p:TorchBackend=cuda, and check that a GPU and its driver are present.");
        return new ComputeDevice(torch.CPU, CpuName(), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes) { Threads = Environment.ProcessorCount };
    }

    const string AllocatorSettings = "PYTORCH_CUDA_ALLOC_CONF";

    static bool CudaUsable()
    {
        try
        {
            // Growable segments keep the CUDA caching allocator's reserve close to what is in use: training allocates
            // many tensors of changing sizes, and fixed segments fragment (measured: ~1–2 GB on a 7B LoRA step). Users
            // who configure the allocator themselves keep their setting. libtorch reads it from the native environment
            // at its first CUDA allocation, which .NET's Environment.SetEnvironmentVariable does not reach on Unix.
            if (Environment.GetEnvironmentVariable(AllocatorSettings) is null && !OperatingSystem.IsWindows())
                NativeEnvironment.Set(AllocatorSettings, "expandable_segments:True");
            return torch.TryInitializeDeviceType(DeviceType.CUDA) && torch.cuda.is_available();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or NotSupportedException)
        {
            return false;
        }
    }

    static string CpuName()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (File.Exists(cpuInfo))
        {
            var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line?.Split(':', 2) is [_, var model]) return model.Trim();
        }
        return "CPU";
    }
}
