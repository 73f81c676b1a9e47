using System.Runtime.InteropServices;

namespace StyleStudio.Training.Runtime.Kernels;

/// <summary>
/// The few CUDA driver API calls that load a compiled kernel and launch it (libcuda ships with every NVIDIA driver).
/// TorchSharp launches only libtorch's own kernels; ours are loaded into the device's primary context — the one libtorch
/// uses — and launched on libtorch's current stream (<see cref="TorchStreams"/>), so they order with its work and are
/// captured into CUDA graphs like its kernels are.
/// </summary>
unsafe sealed class CudaDriver
{
    const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76, MultiprocessorCount = 16;

    readonly delegate* unmanaged<int, int> init;
    readonly delegate* unmanaged<int*, int, int> deviceGet;
    readonly delegate* unmanaged<int*, int, int, int> deviceGetAttribute;
    readonly delegate* unmanaged<nint*, int, int> primaryContextRetain;
    readonly delegate* unmanaged<nint*, int> contextGetCurrent;
    readonly delegate* unmanaged<nint, int> contextSetCurrent;
    readonly delegate* unmanaged<nint*, void*, int> moduleLoadData;
    readonly delegate* unmanaged<nint*, nint, byte*, int> moduleGetFunction;
    readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> launchKernel;
    readonly delegate* unmanaged<int, byte**, int> getErrorString;
    readonly delegate* unmanaged<int> contextSynchronize;
    readonly delegate* unmanaged<int*, nint, int, nuint, int> occupancy;
    readonly delegate* unmanaged<int*, int, nint, int> functionGetAttribute;
    readonly delegate* unmanaged<nint, int*, int> streamIsCapturing;
    readonly delegate* unmanaged<nint, nint*, int> streamEndCapture;
    readonly delegate* unmanaged<nint, int> graphDestroy;
    readonly delegate* unmanaged<byte*, int, int, int> deviceGetPciBusId;
    readonly delegate* unmanaged<LaunchConfig*, nint, void**, void**, int> launchKernelEx;
    readonly delegate* unmanaged<void**, nuint, int> memAllocHost;
    readonly delegate* unmanaged<void*, int> memFreeHost;
    readonly delegate* unmanaged<void*, nint, nuint, nint, int> memcpyDtoHAsync;
    readonly delegate* unmanaged<nint*, uint, int> eventCreate;
    readonly delegate* unmanaged<nint, nint, int> eventRecord;
    readonly delegate* unmanaged<nint, int> eventSynchronize;
    readonly delegate* unmanaged<nint, int> eventDestroy;

    CudaDriver(nint library)
    {
        nint Find(string symbol) => NativeLibrary.GetExport(library, symbol);
        init = (delegate* unmanaged<int, int>)Find("cuInit");
        deviceGet = (delegate* unmanaged<int*, int, int>)Find("cuDeviceGet");
        deviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)Find("cuDeviceGetAttribute");
        primaryContextRetain = (delegate* unmanaged<nint*, int, int>)Find("cuDevicePrimaryCtxRetain");
        contextGetCurrent = (delegate* unmanaged<nint*, int>)Find("cuCtxGetCurrent");
        contextSetCurrent = (delegate* unmanaged<nint, int>)Find("cuCtxSetCurrent");
        moduleLoadData = (delegate* unmanaged<nint*, void*, int>)Find("cuModuleLoadData");
        moduleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)Find("cuModuleGetFunction");
        launchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)Find("cuLaunchKernel");
        getErrorString = (delegate* unmanaged<int, byte**, int>)Find("cuGetErrorString");
        contextSynchronize = (delegate* unmanaged<int>)Find("cuCtxSynchronize");
        occupancy = (delegate* unmanaged<int*, nint, int, nuint, int>)Find("cuOccupancyMaxActiveBlocksPerMultiprocessor");
        functionGetAttribute = (delegate* unmanaged<int*, int, nint, int>)Find("cuFuncGetAttribute");
        streamIsCapturing = (delegate* unmanaged<nint, int*, int>)Find("cuStreamIsCapturing");
        streamEndCapture = (delegate* unmanaged<nint, nint*, int>)Find("cuStreamEndCapture");
        graphDestroy = (delegate* unmanaged<nint, int>)Find("cuGraphDestroy");
        deviceGetPciBusId = (delegate* unmanaged<byte*, int, int, int>)Find("cuDeviceGetPCIBusId");
        memAllocHost = (delegate* unmanaged<void**, nuint, int>)Find("cuMemAllocHost_v2");
        memFreeHost = (delegate* unmanaged<void*, int>)Find("cuMemFreeHost");
        memcpyDtoHAsync = (delegate* unmanaged<void*, nint, nuint, nint, int>)Find("cuMemcpyDtoHAsync_v2");
        eventCreate = (delegate* unmanaged<nint*, uint, int>)Find("cuEventCreate");
        eventRecord = (delegate* unmanaged<nint, nint, int>)Find("cuEventRecord");
        eventSynchronize = (delegate* unmanaged<nint, int>)Find("cuEventSynchronize");
        eventDestroy = (delegate* unmanaged<nint, int>)Find("cuEventDestroy_v2");
        launchKernelEx = NativeLibrary.TryGetExport(library, "cuLaunchKernelEx", out var ex)
            ? (delegate* unmanaged<LaunchConfig*, nint, void**, void**, int>)ex : null;
    }

    /// <summary>The driver, or a reason it cannot be used (no NVIDIA driver, not Linux).</summary>
    public static (CudaDriver? Driver, string? Unavailable) TryLoad()
    {
        if (!OperatingSystem.IsLinux()) return (null, "runtime-compiled kernels are wired for Linux only");
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var library)) return (null, "libcuda.so.1 (the NVIDIA driver) was not found");
        try
        {
            var driver = new CudaDriver(library);
            driver.Check(driver.init(0), "cuInit");
            return (driver, null);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or CudaException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The device's compute capability as one number (9.0 → 90).</summary>
    public int ComputeCapability(int deviceIndex)
    {
        int device, major, minor;
        Check(deviceGet(&device, deviceIndex), "cuDeviceGet");
        Check(deviceGetAttribute(&major, ComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        Check(deviceGetAttribute(&minor, ComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        return major * 10 + minor;
    }

    /// <summary>Streaming multiprocessors on the device: how many blocks run at once, to size grids that loop over work.</summary>
    public int Multiprocessors(int deviceIndex)
    {
        int device, count;
        Check(deviceGet(&device, deviceIndex), "cuDeviceGet");
        Check(deviceGetAttribute(&count, MultiprocessorCount, device), "cuDeviceGetAttribute");
        return count;
    }

    /// <summary>The PCI address of CUDA device <paramref name="deviceIndex"/> ("0000:3b:00.0"): which physical GPU an
    /// index names, whatever CUDA_VISIBLE_DEVICES renumbered.</summary>
    public string PciBusId(int deviceIndex)
    {
        int device;
        var text = stackalloc byte[64];
        Check(deviceGet(&device, deviceIndex), "cuDeviceGet");
        Check(deviceGetPciBusId(text, 64, device), "cuDeviceGetPCIBusId");
        return new string((sbyte*)text);
    }

    /// <summary>The device's primary context: the one the CUDA runtime, hence libtorch, uses.</summary>
    public nint PrimaryContext(int deviceIndex)
    {
        int device;
        nint context;
        Check(deviceGet(&device, deviceIndex), "cuDeviceGet");
        Check(primaryContextRetain(&context, device), "cuDevicePrimaryCtxRetain");
        return context;
    }

    /// <summary>Makes <paramref name="context"/> current on this thread until the scope ends, then restores the previous one.</summary>
    public ContextScope Enter(nint context)
    {
        nint previous;
        Check(contextGetCurrent(&previous), "cuCtxGetCurrent");
        if (previous != context) Check(contextSetCurrent(context), "cuCtxSetCurrent");
        return new ContextScope(this, previous, previous != context);
    }

    public readonly struct ContextScope(CudaDriver driver, nint previous, bool changed) : IDisposable
    {
        public void Dispose()
        {
            if (changed) driver.contextSetCurrent(previous);
        }
    }

    /// <summary>Loads a CUBIN or PTX image into the current context.</summary>
    public nint LoadModule(byte[] image)
    {
        nint module;
        fixed (byte* data = image)
            Check(moduleLoadData(&module, data), "cuModuleLoadData");
        return module;
    }

    public nint GetFunction(nint module, string name)
    {
        nint function;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* text = bytes)
            Check(moduleGetFunction(&function, module, text), $"cuModuleGetFunction({name})");
        return function;
    }

    /// <summary>Whether the driver takes launch attributes (<c>cuLaunchKernelEx</c>, CUDA 12): programmatic dependent and
    /// cooperative launches need it.</summary>
    public bool LaunchesWithAttributes => launchKernelEx is not null;

    /// <param name="overlapPrevious">Launch as a programmatic dependent of the previous kernel on the stream (see
    /// <see cref="RuntimeKernel.OverlapLaunches"/>); ignored by drivers without <c>cuLaunchKernelEx</c>.</param>
    /// <param name="cooperative">A cooperative launch: the driver guarantees every block of the grid is resident at
    /// once (or fails the launch), which grid-wide barriers need.</param>
    public void Launch(nint function, (uint X, uint Y, uint Z) grid, (uint X, uint Y, uint Z) block, uint sharedBytes, nint stream,
        void** arguments, bool overlapPrevious = false, bool cooperative = false)
    {
        if (cooperative && launchKernelEx is null) throw new NotSupportedException("cooperative launches need cuLaunchKernelEx (CUDA 12)");
        if (!overlapPrevious && !cooperative || launchKernelEx is null)
        {
            Check(launchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, stream, arguments, null),
                "cuLaunchKernel");
            return;
        }
        var attributes = stackalloc LaunchAttribute[2];
        uint count = 0;
        if (overlapPrevious) attributes[count++] = new LaunchAttribute { Id = ProgrammaticStreamSerialization, Value = 1 };
        if (cooperative) attributes[count++] = new LaunchAttribute { Id = Cooperative, Value = 1 };
        var config = new LaunchConfig
        {
            GridX = grid.X, GridY = grid.Y, GridZ = grid.Z, BlockX = block.X, BlockY = block.Y, BlockZ = block.Z,
            SharedBytes = sharedBytes, Stream = stream, Attributes = attributes, AttributeCount = count,
        };
        Check(launchKernelEx(&config, function, arguments, null), "cuLaunchKernelEx");
    }

    /// <summary><c>CU_LAUNCH_ATTRIBUTE_COOPERATIVE</c>.</summary>
    const int Cooperative = 2;

    /// <summary><c>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION</c>.</summary>
    const int ProgrammaticStreamSerialization = 6;

    /// <summary>The layout of <c>CUlaunchConfig</c> (cuda.h).</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct LaunchConfig
    {
        public uint GridX, GridY, GridZ, BlockX, BlockY, BlockZ, SharedBytes;
        public nint Stream;
        public LaunchAttribute* Attributes;
        public uint AttributeCount;
    }

    /// <summary>The layout of <c>CUlaunchAttribute</c>: an id, padding to 8 bytes, a 64-byte value union (here an int).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 72)]
    struct LaunchAttribute
    {
        [FieldOffset(0)] public int Id;
        [FieldOffset(8)] public int Value;
    }

    /// <summary>How many blocks of <paramref name="threads"/> threads a multiprocessor holds at once (registers, shared memory).</summary>
    public int ResidentBlocks(nint function, int threads, uint sharedBytes)
    {
        int blocks;
        Check(occupancy(&blocks, function, threads, sharedBytes), "cuOccupancyMaxActiveBlocksPerMultiprocessor");
        return blocks;
    }

    /// <summary>A compiled kernel's registers a thread and local (spilled) bytes a thread.</summary>
    public (int Registers, int LocalBytes) Resources(nint function)
    {
        int registers, local;
        Check(functionGetAttribute(&registers, 4, function), "cuFuncGetAttribute");   // CU_FUNC_ATTRIBUTE_NUM_REGS
        Check(functionGetAttribute(&local, 3, function), "cuFuncGetAttribute");       // CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES
        return (registers, local);
    }

    /// <summary>Whether work issued to <paramref name="stream"/> is being captured into a CUDA graph.</summary>
    public bool IsCapturing(nint stream)
    {
        int status;
        Check(streamIsCapturing(stream, &status), "cuStreamIsCapturing");
        return status != 0;
    }

    /// <summary>
    /// Ends a capture on <paramref name="stream"/> that an illegal call has invalidated, discarding it; returns false
    /// (and does nothing) when the stream is not in such a state. libtorch's own <c>capture_end</c> would throw a C++
    /// exception there, which no .NET frame can catch: the process would end.
    /// </summary>
    public bool EndInvalidatedCapture(nint stream)
    {
        const int Invalidated = 2;     // CU_STREAM_CAPTURE_STATUS_INVALIDATED
        int status;
        Check(streamIsCapturing(stream, &status), "cuStreamIsCapturing");
        if (status != Invalidated) return false;
        nint graph = 0;
        streamEndCapture(stream, &graph);      // reports the invalidation, which is known; the capture is over either way
        if (graph != 0) graphDestroy(graph);
        return true;
    }

    /// <summary>Page-locked host memory in the current context: what a copy from the device can fill without waiting for
    /// the stream to drain.</summary>
    public void* AllocateHost(nuint bytes)
    {
        void* memory;
        Check(memAllocHost(&memory, bytes), "cuMemAllocHost");
        return memory;
    }

    public void FreeHost(void* memory) => Check(memFreeHost(memory), "cuMemFreeHost");

    /// <summary>Queues a copy of <paramref name="bytes"/> from device address <paramref name="source"/> into page-locked
    /// <paramref name="destination"/> on <paramref name="stream"/>.</summary>
    public void CopyToHostAsync(void* destination, nint source, nuint bytes, nint stream) =>
        Check(memcpyDtoHAsync(destination, source, bytes, stream), "cuMemcpyDtoHAsync");

    /// <summary>An event without timing (the cheapest kind to record and wait for).</summary>
    public nint CreateEvent()
    {
        const uint DisableTiming = 2;      // CU_EVENT_DISABLE_TIMING
        nint cudaEvent;
        Check(eventCreate(&cudaEvent, DisableTiming), "cuEventCreate");
        return cudaEvent;
    }

    public void RecordEvent(nint cudaEvent, nint stream) => Check(eventRecord(cudaEvent, stream), "cuEventRecord");

    /// <summary>Waits until the work queued before the event's last record has run (not the work queued after it).</summary>
    public void WaitForEvent(nint cudaEvent) => Check(eventSynchronize(cudaEvent), "cuEventSynchronize");

    public void DestroyEvent(nint cudaEvent) => Check(eventDestroy(cudaEvent), "cuEventDestroy");

    /// <summary>Waits for the current context's work; a fault of an earlier kernel surfaces here.</summary>
    public void Synchronize(string after) => Check(contextSynchronize(), $"a kernel ({after})");

    void Check(int result, string call)
    {
        if (result == 0) return;
        byte* text = null;
        string message = getErrorString is not null && getErrorString(result, &text) == 0 && text is not null
            ? Marshal.PtrToStringAnsi((nint)text) ?? "" : "";
        throw new CudaException($"{call} failed with CUDA error {result}{(message.Length > 0 ? $" ({message})" : "")}");
    }
}

/// <summary>A CUDA driver or NVRTC call failed.</summary>
public sealed class CudaException(string message) : Exception(message);
