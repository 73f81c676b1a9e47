using System.Runtime.InteropServices;
using TorchSharp;

namespace StyleStudio.Training.Runtime.Kernels;

/// <summary>
/// libtorch's current CUDA stream as a driver handle, and a tensor's device address: what a kernel launch of our own
/// needs to run in order with libtorch's work (and inside a CUDA graph capture, which records that stream). TorchSharp
/// exposes neither, so the exported C++ symbols are called as <see cref="CudaGraph"/> does.
/// </summary>
static unsafe partial class TorchStreams
{
    /// <summary>The layout of <c>c10::cuda::CUDAStream</c> (see <see cref="CudaGraph"/>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct Stream { public long Device, Id; }

    sealed class Api
    {
        public required delegate* unmanaged<sbyte, Stream> CurrentStream;
        public required delegate* unmanaged<Stream*, nint> Handle;
    }

    static readonly Lazy<Api?> Native = new(() =>
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libc10_cuda.so", out var c10)) return null;
        if (!NativeLibrary.TryGetExport(c10, "_ZN3c104cuda20getCurrentCUDAStreamEa", out var current)
            || !NativeLibrary.TryGetExport(c10, "_ZNK3c104cuda10CUDAStream6streamEv", out var handle))
            return null;
        return new Api { CurrentStream = (delegate* unmanaged<sbyte, Stream>)current, Handle = (delegate* unmanaged<Stream*, nint>)handle };
    });

    /// <summary>Null where the loaded libtorch has no CUDA or lacks these symbols.</summary>
    public static string? Unavailable => Native.Value is null ? "libtorch's CUDA stream functions (libc10_cuda.so) were not found" : null;

    /// <summary>The <c>cudaStream_t</c> libtorch issues work to on <paramref name="deviceIndex"/> from this thread.</summary>
    public static nint Current(int deviceIndex)
    {
        var api = Native.Value ?? throw new NotSupportedException(Unavailable);
        var stream = api.CurrentStream((sbyte)deviceIndex);
        return api.Handle(&stream);
    }

    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial nint TensorData(nint tensor);

    /// <summary>The device address of the tensor's first element (storage offset included).</summary>
    public static nint Address(torch.Tensor tensor)
    {
        var address = TensorData(tensor.Handle);
        if (address == 0 && tensor.numel() > 0) torch.CheckForErrors();
        return address;
    }
}
