using System.Runtime.InteropServices;
using TorchSharp;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// A CUDA graph made by libtorch's own <c>at::cuda::CUDAGraph</c>: some GPU work is captured once, then all its kernels
/// are replayed with one launch, without the host-side cost of issuing them one by one.
/// </summary>
/// <remarks>
/// TorchSharp exposes neither CUDA graphs nor streams, so the few libtorch C++ functions needed are called through their
/// exported Itanium-mangled symbols (parameter types are part of the names, so a libtorch whose signatures differ simply
/// lacks them). Where they are missing — another libtorch version, Windows, a CPU build — <see cref="IsAvailable"/> is
/// false and callers run their work directly. libtorch's class rather than the CUDA runtime keeps its caching allocator in
/// charge: memory allocated during capture comes from a private pool that lives as long as the graph, so replays never
/// write into memory handed out to anyone else. Replay reads and writes exactly the memory used at capture: inputs are
/// refreshed in place before each replay, and outputs are read from the tensors returned during capture.
/// </remarks>
public sealed unsafe class CudaGraph : IDisposable
{
    /// <summary>The layout of <c>c10::cuda::CUDAStream</c>: device (type, index) and stream id, 16 bytes passed in registers.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct Stream { public long Device, Id; }

    /// <summary>The layout of <c>at::cuda::MempoolId_t</c>, a pair of 64-bit ids, also returned in registers.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct MemoryPool { public ulong First, Second; }

    /// <summary>Whether capture errors concern only the capturing thread (<c>cudaStreamCaptureModeThreadLocal</c>), so that
    /// other threads — a training run on the same GPU — keep working while a graph is captured.</summary>
    const int ThreadLocalCapture = 1;

    /// <summary>Generous room for <c>at::cuda::CUDAGraph</c> (about 150 bytes in libtorch 2.11): its constructor is called
    /// into memory allocated here, since its size is not exported.</summary>
    const int ObjectBytes = 4096;

    sealed class Api
    {
        public required delegate* unmanaged<sbyte, Stream> CurrentStream;
        public required delegate* unmanaged<bool, sbyte, Stream> StreamFromPool;
        public required delegate* unmanaged<Stream, void> SetCurrentStream;
        public required delegate* unmanaged<void*, bool, void> Construct;
        public required delegate* unmanaged<void*, ulong, ulong, int, void> CaptureBegin;
        public required delegate* unmanaged<void*, void> CaptureEnd;
        public required delegate* unmanaged<void*, void> Replay;
        public required delegate* unmanaged<void*, MemoryPool> Pool;
        public required delegate* unmanaged<void*, void> Destroy;

        public static Api? TryLoad()
        {
            if (!OperatingSystem.IsLinux()
                || !NativeLibrary.TryLoad("libc10_cuda.so", out var c10)
                || !NativeLibrary.TryLoad("libtorch_cuda.so", out var aten))
                return null;
            nint Find(nint library, string symbol) => NativeLibrary.TryGetExport(library, symbol, out var address) ? address : 0;
            nint[] found =
            [
                Find(c10, "_ZN3c104cuda20getCurrentCUDAStreamEa"),
                Find(c10, "_ZN3c104cuda17getStreamFromPoolEba"),
                Find(c10, "_ZN3c104cuda20setCurrentCUDAStreamENS0_10CUDAStreamE"),
                Find(aten, "_ZN2at4cuda9CUDAGraphC1Eb"),
                Find(aten, "_ZN2at4cuda9CUDAGraph13capture_beginESt4pairIyyE21cudaStreamCaptureMode"),
                Find(aten, "_ZN2at4cuda9CUDAGraph11capture_endEv"),
                Find(aten, "_ZN2at4cuda9CUDAGraph6replayEv"),
                Find(aten, "_ZN2at4cuda9CUDAGraphD1Ev"),
                Find(aten, "_ZN2at4cuda9CUDAGraph4poolEv"),
            ];
            if (found.Contains(0)) return null;
            return new Api
            {
                CurrentStream = (delegate* unmanaged<sbyte, Stream>)found[0],
                StreamFromPool = (delegate* unmanaged<bool, sbyte, Stream>)found[1],
                SetCurrentStream = (delegate* unmanaged<Stream, void>)found[2],
                Construct = (delegate* unmanaged<void*, bool, void>)found[3],
                CaptureBegin = (delegate* unmanaged<void*, ulong, ulong, int, void>)found[4],
                CaptureEnd = (delegate* unmanaged<void*, void>)found[5],
                Replay = (delegate* unmanaged<void*, void>)found[6],
                Destroy = (delegate* unmanaged<void*, void>)found[7],
                Pool = (delegate* unmanaged<void*, MemoryPool>)found[8],
            };
        }
    }

    static readonly Lazy<Api?> Native = new(Api.TryLoad);

    /// <summary>
    /// The one side stream each device captures on (by <c>CUDAStream</c>'s packed device), taken from libtorch's pool
    /// once. A stream per capture would cycle through the pool's 32 streams, and libtorch keeps a cuBLAS workspace for
    /// every stream that ever ran a product (allocated inside a graph's pool during a capture, and pinning it): measured
    /// as 17 MB more device memory per generation for the first 32 generations. Captures never overlap (the gate
    /// below), so one stream serves them all; replays run on the caller's stream.
    /// </summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<long, Stream> CaptureStreams = new();

    /// <summary>
    /// Captures exclude, process-wide, work that draws from libtorch's default CUDA generator: a capture marks that shared
    /// generator as capturing, and a draw from another thread meanwhile (dropout in a training step) would fail. One
    /// capture at a time also keeps one capture's device-wide synchronisation out of another's capture.
    /// </summary>
    static readonly ReaderWriterLockSlim CaptureGate = new(LockRecursionPolicy.SupportsRecursion);

    /// <summary>Whether the loaded libtorch has CUDA and exports the graph API this class drives.</summary>
    public static bool IsAvailable => Native.Value is not null;

    /// <summary>
    /// Graphs whose work is done, kept only for their memory pools. libtorch does not return a destroyed graph's pool to
    /// the device until its whole cache is emptied, so a graph per generation would grow the memory held by one segment
    /// each time; instead each new capture takes over a retired graph's pool and only then destroys it. Active graphs never
    /// share a pool, so generations may run concurrently; the pools kept are as many as generations ever ran at once.
    /// </summary>
    static readonly Stack<nint> Retired = new();
    const int MaxRetired = 8;

    readonly Api api;
    void* graph;
    /// <summary>Whether a later capture may take this graph's pool over once it is disposed (see <see cref="Retired"/>):
    /// not when another graph shares it, nor when the caller asked for the pool to go with the graph.</summary>
    bool handsOnPool;
    /// <summary>The device captured on: a replay launches on the current stream of the thread's current device.</summary>
    torch.Device device = torch.CUDA;

    CudaGraph(Api api, bool handsOnPool)
    {
        this.api = api;
        this.handsOnPool = handsOnPool;
        graph = NativeMemory.AllocZeroed(ObjectBytes);
        api.Construct(graph, false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> <paramref name="warmups"/> times, then captures one more run of it into a graph (capture
    /// does not execute anything). All of it happens on a side stream, as CUDA requires; warm-up runs there first let lazy
    /// initialisation (cuBLAS workspaces, TorchScript's profiling and fusion, kernel loading) happen outside the capture.
    /// <paramref name="work"/> must issue only asynchronous GPU work: no reads to the host, no synchronisation.
    /// </summary>
    /// <param name="device">The CUDA device: its index, or the thread's current device when it has none.</param>
    /// <param name="sharePoolWith">A graph whose memory pool this one shares: for graphs that never run at once and keep
    /// nothing in the pool after they end (all their inputs and outputs allocated outside it), such as a training run's
    /// micro-batch graphs of several shapes, which then hold one activation peak between them instead of one each.</param>
    /// <param name="retire">Whether, once disposed, this graph's pool may pass to a later capture (small graphs captured
    /// often: decoding). False lets the pool go with the graph — for large pools such as a training run's activations,
    /// which libtorch's allocator then frees when memory runs short; a retired pool would stay held until reused.</param>
    /// <param name="prepare">Work run once on the capture stream before the warm-ups and the capture (e.g. a small step
    /// that lets libraries set themselves up there); every capture on a device uses the same stream.</param>
    public static CudaGraph Capture(torch.Device device, Action work, int warmups, CudaGraph? sharePoolWith = null, bool retire = true,
        Action? prepare = null)
    {
        var api = Native.Value ?? throw new NotSupportedException("this libtorch does not export the CUDA graph API");
        if (device.type != DeviceType.CUDA) throw new NotSupportedException($"CUDA graphs capture CUDA work, not {device}'s");

        CaptureGate.EnterWriteLock();
        try
        {
            // libtorch captures on the thread's current device (and its streams): make it this one.
            using var current = CudaDevice.Use(device);
            var captured = CaptureExclusively(api, device, work, warmups, sharePoolWith, retire, prepare);
            captured.device = device;
            return captured;
        }
        finally
        {
            CaptureGate.ExitWriteLock();
        }
    }

    /// <summary>
    /// Holds off captures while the returned scope lives: wrap work that draws from libtorch's default CUDA generator
    /// (dropout) or seeds it. Cheap, and shared: such work on several threads runs concurrently.
    /// </summary>
    public static IDisposable HoldOffCaptures()
    {
        CaptureGate.EnterReadLock();
        return new GateRelease();
    }

    sealed class GateRelease : IDisposable
    {
        bool released;

        public void Dispose()
        {
            if (released) return;
            released = true;
            CaptureGate.ExitReadLock();
        }
    }

    static CudaGraph CaptureExclusively(Api api, torch.Device device, Action work, int warmups, CudaGraph? sharePoolWith, bool retire,
        Action? prepare)
    {
        torch.cuda.synchronize(device);      // the side stream must see everything queued on the default one
        var previous = api.CurrentStream(-1);
        var side = CaptureStreams.GetOrAdd(previous.Device, _ => api.StreamFromPool(false, -1));
        api.SetCurrentStream(side);
        var captured = new CudaGraph(api, handsOnPool: retire && sharePoolWith is null);
        try
        {
            prepare?.Invoke();
            for (int i = 0; i < warmups; i++) work();
            if (sharePoolWith is not null) ObjectDisposedException.ThrowIf(sharePoolWith.graph is null, sharePoolWith);
            void* donor = sharePoolWith is null ? TakeRetired() : null;
            var pool = sharePoolWith is not null ? api.Pool(sharePoolWith.graph)
                : donor is null ? default : api.Pool(donor);               // {0, 0}: a new private memory pool
            if (sharePoolWith is not null) sharePoolWith.handsOnPool = false;
            api.CaptureBegin(captured.graph, pool.First, pool.Second, ThreadLocalCapture);
            Exception? failure = null;
            try
            {
                work();
            }
            catch (Exception e)
            {
                failure = e;
            }
            if (EndInvalidatedCapture(device))
            {
                // libtorch's capture_end would abort the process here. The graph object is left as it is (its destructor
                // expects an ended capture): a few kilobytes, and a pool that no later capture takes over.
                captured.graph = null;
                throw new CudaGraphCaptureException(failure);
            }
            // Always end a begun capture, or the stream would stay capturing. Work that threw on the host (e.g. out of
            // memory) leaves a valid, partial graph, which is then discarded.
            api.CaptureEnd(captured.graph);
            if (donor is not null) Destroy(api, donor);
            if (failure is not null) throw new CudaGraphCaptureException(failure);
            return captured;
        }
        catch
        {
            if (captured.graph is not null) Destroy(api, captured.graph);
            throw;
        }
        finally
        {
            api.SetCurrentStream(previous);
            torch.cuda.synchronize(device);  // replays run on the default stream, after the warm-ups
        }
    }

    /// <summary>Launches the captured kernels on the current stream, ordered after the work queued there before.</summary>
    /// <remarks>Replaying (and destroying) also touches the shared generator's graph bookkeeping: not during a capture.</remarks>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(graph is null, this);
        using (HoldOffCaptures())
        using (CudaDevice.Use(device))
            api.Replay(graph);
    }

    /// <summary>Ends this graph; a pool of its own passes to the next capture (see <see cref="Retired"/>).</summary>
    public void Dispose()
    {
        if (graph is null) return;
        // A shared pool is never handed on: two later captures could each take over one of its graphs and run at once.
        lock (Retired)
        {
            if (handsOnPool && Retired.Count < MaxRetired)
            {
                Retired.Push((nint)graph);
                graph = null;
                return;
            }
        }
        using (HoldOffCaptures()) Destroy(api, graph);
        graph = null;
    }

    /// <summary>Ends this thread's capture on <paramref name="device"/> if a call illegal in a capture invalidated it.</summary>
    static bool EndInvalidatedCapture(torch.Device device) =>
        CudaDevice.Driver.Value is { } driver && Kernels.TorchStreams.Unavailable is null
        && driver.EndInvalidatedCapture(Kernels.TorchStreams.Current(device.index < 0 ? 0 : device.index));

    static void* TakeRetired()
    {
        lock (Retired) return Retired.Count > 0 ? (void*)Retired.Pop() : null;
    }

    static void Destroy(Api api, void* graph)
    {
        api.Destroy(graph);
        NativeMemory.Free(graph);
    }
}

/// <summary>
/// A CUDA graph capture failed: the captured work threw (<see cref="Exception.InnerException"/>), or something it issued
/// is not allowed while capturing and invalidated the capture (a synchronisation, a library initialising itself). The
/// capture was discarded; nothing of the work ran, so it can run again without a graph.
/// </summary>
public sealed class CudaGraphCaptureException(Exception? cause)
    : Exception("CUDA graph capture failed" + (cause is null ? "" : ": " + cause.Message), cause);
