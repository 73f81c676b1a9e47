using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// Which CUDA device is current on this thread. libtorch's ops follow their tensors' device, but a few things follow the
/// thread's current device instead — the current stream, where a CUDA graph is captured and replayed — so work of
/// several GPUs in one process (a replica per GPU in data-parallel training) makes its device current first.
/// </summary>
/// <remarks>
/// TorchSharp has no call for it, so the device's primary context is made current through the driver: the CUDA
/// runtime, and with it libtorch, works in whatever context is current on the thread (the primary context is the
/// runtime's own context of that device, so this is what <c>cudaSetDevice</c> does).
/// </remarks>
public static class CudaDevice
{
    /// <summary>The CUDA driver, loaded once for this class and <see cref="CudaGraph"/>; null without one.</summary>
    internal static readonly Lazy<CudaDriver?> Driver = new(() => CudaDriver.TryLoad().Driver);

    /// <summary>Primary contexts by device index, retained once (the driver counts each retain).</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<int, nint> Contexts = new();

    /// <summary>
    /// Makes <paramref name="device"/> current on this thread until the scope ends. Nothing to do for the CPU or a CUDA
    /// device without an index (which means the current one). A struct: graph replays of decoding take it every step.
    /// </summary>
    public static Scope Use(torch.Device device)
    {
        if (device.type != DeviceType.CUDA || device.index < 0) return default;
        var driver = Driver.Value ?? throw new NotSupportedException($"cannot select {device}: the CUDA driver (libcuda.so.1) was not found");
        return new Scope(driver.Enter(Contexts.GetOrAdd(device.index, driver.PrimaryContext)));
    }

    /// <summary>Restores the thread's previous device when disposed (once).</summary>
    public readonly struct Scope : IDisposable
    {
        readonly CudaDriver.ContextScope context;
        readonly bool entered;

        internal Scope(CudaDriver.ContextScope context) => (this.context, entered) = (context, true);

        public void Dispose()
        {
            if (entered) context.Dispose();
        }
    }
}
