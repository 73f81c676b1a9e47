using System.Collections.Concurrent;
using TorchSharp;

namespace StyleStudio.Training.Runtime.Kernels;

/// <summary>
/// CUDA C kernels of our own, compiled at run time with NVRTC the first time a device needs them and launched on
/// libtorch's current stream — for work where a chain of libtorch ops moves the same memory several times. Where a
/// piece is missing (CPU build, no driver, no NVRTC, another OS) <see cref="Unavailable"/> says why and callers use the
/// op sequence the kernel replaces. <c>STYLESTUDIO_CUDA_KERNELS=off</c> forces that path (to compare, or to work around).
/// </summary>
public sealed unsafe class RuntimeKernel(string name, string source, params string[] options)
{
    sealed record Toolchain(CudaDriver Driver, Nvrtc Compiler);

    static readonly Lazy<(Toolchain? Tools, string? Unavailable)> Tools = new(() =>
    {
        if (Environment.GetEnvironmentVariable("STYLESTUDIO_CUDA_KERNELS") is "off" or "0" or "false")
            return (null, "turned off by STYLESTUDIO_CUDA_KERNELS");
        if (TorchStreams.Unavailable is { } noStreams) return (null, noStreams);
        var (driver, noDriver) = CudaDriver.TryLoad();
        if (driver is null) return (null, noDriver);
        var (compiler, noCompiler) = Nvrtc.TryLoad();
        return compiler is null ? (null, noCompiler) : (new Toolchain(driver, compiler), null);
    });

    /// <summary>Why kernels of ours cannot run here, or null when they can.</summary>
    public static string? Unavailable => Tools.Value.Unavailable;

    /// <summary>Which NVRTC compiles them (path and version), for diagnostics.</summary>
    public static string? Compiler => Tools.Value.Tools is { } tools ? $"NVRTC {tools.Compiler.Version} ({tools.Compiler.Path})" : null;

    /// <summary>Whether this kernel can run on <paramref name="device"/>: a CUDA device with the whole toolchain present.</summary>
    public bool CanRun(torch.Device device) => device.type == DeviceType.CUDA && Tools.Value.Tools is not null;

    /// <summary>Whether cooperative launches are possible here (the driver takes launch attributes).</summary>
    public static bool CanLaunchCooperatively => Tools.Value.Tools is { } tools && tools.Driver.LaunchesWithAttributes;

    /// <summary>Streaming multiprocessors of a CUDA device (for grids that loop over their work).</summary>
    public static int Multiprocessors(torch.Device device) =>
        (Tools.Value.Tools ?? throw new NotSupportedException(Unavailable)).Driver.Multiprocessors(device.index < 0 ? 0 : device.index);

    sealed record Loaded(nint Context, nint Module, ConcurrentDictionary<string, nint> Functions, int ComputeCapability);

    /// <summary>
    /// Launch each kernel as a programmatic dependent of the one before it on the stream where the device has it
    /// (compute capability 9.0 on): the kernel may start before its predecessor ends, and must call
    /// <c>griddepcontrol.wait</c> before it touches anything the predecessor writes or reads.
    /// </summary>
    public bool OverlapLaunches { get; init; }

    readonly ConcurrentDictionary<int, Lazy<Loaded>> loaded = new();

    /// <summary>
    /// Launches <paramref name="function"/> on <paramref name="device"/>'s current libtorch stream. Compiles the source
    /// for that device first if needed (once; a compile error surfaces here as a <see cref="CudaException"/>).
    /// Tensors passed must live on that device and stay alive until the kernel has run (libtorch's caching allocator
    /// makes that hold for tensors freed afterwards on the same stream).
    /// </summary>
    public void Launch(torch.Device device, string function, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block,
        uint sharedBytes, params ReadOnlySpan<KernelArgument> arguments) =>
        Launch(device, function, grid, block, sharedBytes, cooperative: false, arguments);

    /// <summary>As <see cref="Launch(torch.Device, string, ValueTuple{uint, uint, uint}, ValueTuple{uint, uint, uint}, uint, ReadOnlySpan{KernelArgument})"/>;
    /// <paramref name="cooperative"/> launches every block resident at once (see <see cref="CanLaunchCooperatively"/>),
    /// as a kernel with grid-wide barriers needs.</summary>
    public void Launch(torch.Device device, string function, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block,
        uint sharedBytes, bool cooperative, params ReadOnlySpan<KernelArgument> arguments)
    {
        var (tools, module, entry) = Find(device, function);
        using var scope = tools.Driver.Enter(module.Context);
        var values = stackalloc ulong[arguments.Length];
        var pointers = stackalloc void*[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            values[i] = arguments[i].Bits;
            pointers[i] = &values[i];
        }
        var stream = TorchStreams.Current(device.index < 0 ? 0 : device.index);
        tools.Driver.Launch(entry, grid, block, sharedBytes, stream, pointers, OverlapLaunches && module.ComputeCapability >= 90 && !cooperative,
            cooperative);
        if (Blocking && !tools.Driver.IsCapturing(stream)) tools.Driver.Synchronize($"{name}: {function}");
    }

    /// <summary><c>STYLESTUDIO_CUDA_KERNELS=blocking</c>: wait for each kernel of ours as it is launched, so that a fault
    /// names the kernel (as <c>CUDA_LAUNCH_BLOCKING</c> does for libtorch's); not while a CUDA graph is captured (the
    /// warm-up runs before a capture check the same launches).</summary>
    static readonly bool Blocking = Environment.GetEnvironmentVariable("STYLESTUDIO_CUDA_KERNELS") == "blocking";

    /// <summary>How many blocks of <paramref name="function"/> (at this block size and dynamic shared memory) one
    /// multiprocessor of <paramref name="device"/> runs at once; compiles the source first if needed.</summary>
    public int ResidentBlocks(torch.Device device, string function, int threads, uint sharedBytes)
    {
        var (tools, module, entry) = Find(device, function);
        using var scope = tools.Driver.Enter(module.Context);
        return tools.Driver.ResidentBlocks(entry, threads, sharedBytes);
    }

    /// <summary>Registers a thread and spilled bytes a thread of <paramref name="function"/> as compiled for <paramref name="device"/>.</summary>
    public (int Registers, int LocalBytes) Resources(torch.Device device, string function)
    {
        var (tools, module, entry) = Find(device, function);
        using var scope = tools.Driver.Enter(module.Context);
        return tools.Driver.Resources(entry);
    }

    (Toolchain Tools, Loaded Module, nint Function) Find(torch.Device device, string function)
    {
        var tools = Tools.Value.Tools ?? throw new NotSupportedException(Unavailable);
        int index = device.index < 0 ? 0 : device.index;
        if (!loaded.TryGetValue(index, out var lazy))
            lazy = loaded.GetOrAdd(index, i => new Lazy<Loaded>(() => Load(tools, i)));
        var module = lazy.Value;
        if (!module.Functions.TryGetValue(function, out var entry))
        {
            using var scope = tools.Driver.Enter(module.Context);
            entry = module.Functions.GetOrAdd(function, tools.Driver.GetFunction(module.Module, function));
        }
        return (tools, module, entry);
    }

    Loaded Load(Toolchain tools, int deviceIndex)
    {
        var context = tools.Driver.PrimaryContext(deviceIndex);
        using var scope = tools.Driver.Enter(context);
        int capability = tools.Driver.ComputeCapability(deviceIndex);
        var image = tools.Compiler.Compile(name, source, capability, options);
        return new Loaded(context, tools.Driver.LoadModule(image), new ConcurrentDictionary<string, nint>(), capability);
    }
}

/// <summary>One kernel argument as the bits CUDA copies from it: a tensor's device address or a scalar (little-endian, so
/// a 4-byte parameter reads the low half).</summary>
public readonly struct KernelArgument
{
    public ulong Bits { get; private init; }

    public static implicit operator KernelArgument(torch.Tensor tensor) => new() { Bits = (ulong)TorchStreams.Address(tensor) };
    public static implicit operator KernelArgument(int value) => new() { Bits = (uint)value };
    public static implicit operator KernelArgument(long value) => new() { Bits = (ulong)value };
    public static implicit operator KernelArgument(float value) => new() { Bits = BitConverter.SingleToUInt32Bits(value) };
}
