using System.Runtime.InteropServices;
using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// NCCL communicators over some of this machine's GPUs, one process driving them all (<c>ncclCommInitAll</c>): sums
/// buffers across the GPUs over NVLink or PCIe without passing through the host. NCCL ships with CUDA builds of libtorch
/// (PyTorch's wheels load <c>libnccl.so.2</c>; libtorch archives link it into <c>libtorch_cuda.so</c>), and TorchSharp
/// does not expose it, so its C API is called directly. Where it is missing (CPU builds, Windows) <see cref="Unavailable"/>
/// says so and callers sum through device copies instead.
/// </summary>
public sealed unsafe class NcclCommunicators : IDisposable
{
    const int Sum = 0;                                  // ncclSum

    sealed class Api
    {
        public required delegate* unmanaged<int*, int> GetVersion;
        public required delegate* unmanaged<nint*, int, int*, int> CommInitAll;
        public required delegate* unmanaged<nint, int> CommDestroy;
        public required delegate* unmanaged<int> GroupStart;
        public required delegate* unmanaged<int> GroupEnd;
        public required delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int> AllReduce;
        public required delegate* unmanaged<int, byte*> ErrorString;
    }

    static readonly Lazy<(Api? Api, string? Unavailable)> Native = new(Load);

    static (Api?, string?) Load()
    {
        if (!OperatingSystem.IsLinux()) return (null, "NCCL is wired for Linux only");
        if (TorchStreams.Unavailable is { } noStreams) return (null, noStreams);
        foreach (var name in new[] { "libnccl.so.2", "libnccl.so", "libtorch_cuda.so" })
        {
            if (!NativeLibrary.TryLoad(name, out var library)) continue;
            nint Find(string symbol) => NativeLibrary.TryGetExport(library, symbol, out var address) ? address : 0;
            nint[] found = [Find("ncclGetVersion"), Find("ncclCommInitAll"), Find("ncclCommDestroy"), Find("ncclGroupStart"),
                Find("ncclGroupEnd"), Find("ncclAllReduce"), Find("ncclGetErrorString")];
            if (found.Contains(0)) continue;
            return (new Api
            {
                GetVersion = (delegate* unmanaged<int*, int>)found[0],
                CommInitAll = (delegate* unmanaged<nint*, int, int*, int>)found[1],
                CommDestroy = (delegate* unmanaged<nint, int>)found[2],
                GroupStart = (delegate* unmanaged<int>)found[3],
                GroupEnd = (delegate* unmanaged<int>)found[4],
                AllReduce = (delegate* unmanaged<nint, nint, nuint, int, int, nint, nint, int>)found[5],
                ErrorString = (delegate* unmanaged<int, byte*>)found[6],
            }, null);
        }
        return (null, "NCCL (libnccl.so.2) was not found beside libtorch");
    }

    /// <summary>Why NCCL cannot be used here, or null when it can.</summary>
    public static string? Unavailable => Native.Value.Unavailable;

    /// <summary>NCCL's version as major.minor.patch, or null without NCCL.</summary>
    public static string? Version
    {
        get
        {
            if (Native.Value.Api is not { } api) return null;
            int code;
            if (api.GetVersion(&code) != 0) return null;
            // Since 2.9 the code is major·10000 + minor·100 + patch; before it, major·1000 + minor·100 + patch.
            return code >= 10000 ? $"{code / 10000}.{code / 100 % 100}.{code % 100}" : $"{code / 1000}.{code / 100 % 10}.{code % 100}";
        }
    }

    readonly Api api;
    readonly int[] devices;
    readonly nint[] communicators;

    NcclCommunicators(Api api, int[] devices, nint[] communicators) => (this.api, this.devices, this.communicators) = (api, devices, communicators);

    /// <summary>One communicator per device of <paramref name="deviceIndexes"/> (distinct CUDA device indexes).</summary>
    public static NcclCommunicators Create(IReadOnlyList<int> deviceIndexes)
    {
        var api = Native.Value.Api ?? throw new NotSupportedException(Unavailable);
        if (deviceIndexes.Count == 0 || deviceIndexes.Distinct().Count() != deviceIndexes.Count)
            throw new ArgumentException($"NCCL needs distinct GPUs; got {string.Join(", ", deviceIndexes.Select(i => $"cuda:{i}"))}", nameof(deviceIndexes));
        var devices = deviceIndexes.ToArray();
        var communicators = new nint[devices.Length];
        fixed (nint* comms = communicators)
        fixed (int* list = devices)
            Check(api, api.CommInitAll(comms, devices.Length, list), "ncclCommInitAll");
        return new NcclCommunicators(api, devices, communicators);
    }

    /// <summary>
    /// Replaces each buffer by the sum of all of them, buffer i living on this communicator set's device i (contiguous,
    /// equal sizes and dtype). Queued on each device's current stream, after the work already queued there.
    /// </summary>
    public void AllReduceSum(IReadOnlyList<torch.Tensor> buffers)
    {
        if (buffers.Count != devices.Length) throw new ArgumentException($"{buffers.Count} buffers for {devices.Length} GPUs", nameof(buffers));
        for (int i = 0; i < buffers.Count; i++)
        {
            var buffer = buffers[i];
            if (buffer.device.type != DeviceType.CUDA || buffer.device.index != devices[i] || !buffer.is_contiguous()
                || buffer.numel() != buffers[0].numel() || buffer.dtype != buffers[0].dtype)
                throw new ArgumentException($"buffer {i} ({buffer.dtype} {buffer.device}, {buffer.numel()} elements) does not match cuda:{devices[i]} " +
                    $"and buffer 0 ({buffers[0].dtype}, {buffers[0].numel()} elements)", nameof(buffers));
        }
        int type = DataType(buffers[0].dtype);
        Check(api, api.GroupStart(), "ncclGroupStart");
        int failed = 0;
        for (int i = 0; i < buffers.Count && failed == 0; i++)
        {
            nint address = TorchStreams.Address(buffers[i]);
            failed = api.AllReduce(address, address, (nuint)buffers[i].numel(), type, Sum, communicators[i], TorchStreams.Current(devices[i]));
        }
        int ended = api.GroupEnd();
        Check(api, failed, "ncclAllReduce");
        Check(api, ended, "ncclGroupEnd");
    }

    static int DataType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float16 => 6,
        torch.ScalarType.Float32 => 7,
        torch.ScalarType.Float64 => 8,
        torch.ScalarType.BFloat16 => 9,
        _ => throw new NotSupportedException($"NCCL sums of {type} are not wired"),
    };

    static void Check(Api api, int result, string call)
    {
        if (result == 0) return;
        byte* text = api.ErrorString(result);
        throw new CudaException($"{call} failed with NCCL error {result}{(text is null ? "" : $" ({Marshal.PtrToStringAnsi((nint)text)})")}");
    }

    public void Dispose()
    {
        for (int i = 0; i < communicators.Length; i++)
            if (communicators[i] != 0)
            {
                api.CommDestroy(communicators[i]);
                communicators[i] = 0;
            }
    }
}
