using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// GPU name and memory through NVIDIA's management library, which ships with every driver. TorchSharp exposes no device
/// properties, and NVML's C API is small and stable, so a few P/Invokes are simpler than any dependency.
/// </summary>
static partial class Nvml
{
    const string Library = "libnvidia-ml.so.1";

    [StructLayout(LayoutKind.Sequential)]
    struct Memory { public ulong Total, Free, Used; }

    [LibraryImport(Library, EntryPoint = "nvmlInit_v2")] private static partial int Init();
    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")] private static partial int GetHandle(uint index, out IntPtr device);
    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetHandleByPciBusId_v2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetHandleByPciBusId(string pciBusId, out IntPtr device);
    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetName")] private static partial int GetName(IntPtr device, [Out] byte[] name, uint length);
    [LibraryImport(Library, EntryPoint = "nvmlDeviceGetMemoryInfo")] private static partial int GetMemory(IntPtr device, out Memory memory);

    /// <summary>NVML's handles by CUDA device index, found once: training asks for memory in use every step.</summary>
    static readonly ConcurrentDictionary<int, IntPtr> Handles = new();

    /// <summary>
    /// NVML's handle of CUDA device <paramref name="cudaIndex"/>. NVML numbers every GPU of the machine while CUDA numbers
    /// those CUDA_VISIBLE_DEVICES leaves (a worker pinned to GPU 1 sees it as cuda:0), so the GPU is found by its PCI
    /// address from the CUDA driver; by the same index only where the driver cannot say.
    /// </summary>
    static bool TryHandle(int cudaIndex, out IntPtr device)
    {
        if (Handles.TryGetValue(cudaIndex, out device)) return true;
        if (Init() != 0) return false;
        string? bus;
        try
        {
            bus = CudaDevice.Driver.Value?.PciBusId(cudaIndex);
        }
        catch (Kernels.CudaException)
        {
            bus = null;                        // the driver knows no such device: NVML's index is the best guess left
        }
        if (!(bus is not null && GetHandleByPciBusId(bus, out device) == 0 || GetHandle((uint)cudaIndex, out device) == 0)) return false;
        Handles[cudaIndex] = device;
        return true;
    }

    /// <summary>Bytes in use on CUDA device <paramref name="index"/> (all processes), or null where NVML is absent.</summary>
    public static long? UsedBytes(int index)
    {
        try
        {
            return TryHandle(index, out var device) && GetMemory(device, out var memory) == 0 ? (long)memory.Used : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Returns (name, total bytes) of CUDA device <paramref name="index"/>, or nulls where NVML is absent (e.g.
    /// Windows without it on the path).</summary>
    public static (string? Name, long? TotalBytes) DescribeGpu(int index)
    {
        try
        {
            if (!TryHandle(index, out var device)) return (null, null);
            var name = new byte[96];
            string? text = GetName(device, name, (uint)name.Length) == 0 ? Encoding.ASCII.GetString(name).TrimEnd('\0') : null;
            long? total = GetMemory(device, out var memory) == 0 ? (long)memory.Total : null;
            return (text, total);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, null);
        }
    }
}
