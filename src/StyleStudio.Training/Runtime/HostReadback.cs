using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Runtime;

/// <summary>
/// Reads a few int64 values (a decode step's sampled token ids) back to the host without waiting for device work queued
/// after them. libtorch's copy to the host waits for everything queued on its stream, while the serving engine queues
/// step t+1 before it reads step t's tokens (see <c>BatchEngine</c>): on CUDA the values are copied into page-locked
/// memory on libtorch's stream with an event recorded behind the copy, and only that event is waited for. Elsewhere —
/// the CPU, or CUDA without the driver API — they are read at once.
/// </summary>
/// <remarks>Two buffers: one read while the next is queued, so a ticket must be finished before the second read after
/// it starts. Used by one thread.</remarks>
internal sealed unsafe class HostReadback : IDisposable
{
    /// <summary>A queued read: its buffer, or the values themselves where they were read at once.</summary>
    public readonly record struct Ticket(int Buffer, int Count, long[]? Values);

    const int Buffers = 2;
    static readonly Lazy<CudaDriver?> Driver = new(() => TorchStreams.Unavailable is null ? CudaDriver.TryLoad().Driver : null);

    readonly CudaDriver? driver;
    readonly int deviceIndex;
    readonly nint context;
    readonly long*[] buffers = new long*[Buffers];
    readonly nint[] events = new nint[Buffers];
    readonly bool[] queued = new bool[Buffers];
    readonly int capacity;
    int next;

    /// <param name="capacity">The most values one read carries.</param>
    public HostReadback(Device device, int capacity)
    {
        this.capacity = capacity;
        if (device.type != DeviceType.CUDA || Driver.Value is not { } cuda) return;
        driver = cuda;
        deviceIndex = device.index < 0 ? 0 : device.index;
        context = cuda.PrimaryContext(deviceIndex);
        using var scope = cuda.Enter(context);
        for (int i = 0; i < Buffers; i++)
        {
            buffers[i] = (long*)cuda.AllocateHost((nuint)(capacity * sizeof(long)));
            events[i] = cuda.CreateEvent();
        }
    }

    /// <summary>Whether reads overlap work queued after them (false: <see cref="Start"/> reads at once).</summary>
    public bool Overlaps => driver is not null;

    /// <summary>Queues a read of <paramref name="values"/> (int64, on this device); the tensor may be freed afterwards —
    /// libtorch's allocator hands its memory out again only to work queued after the copy.</summary>
    public Ticket Start(Tensor values)
    {
        int count = (int)values.numel();
        if (count > capacity) throw new ArgumentException($"{count} values, at most {capacity} a read", nameof(values));
        if (driver is null) return new Ticket(-1, count, values.cpu().data<long>().ToArray());
        int buffer = next;
        using var contiguous = values.contiguous();
        using var scope = driver.Enter(context);
        // A read never finished (its step failed) leaves its buffer queued: its copy is waited for before the buffer is
        // reused, and its values are lost with its ticket.
        if (queued[buffer]) driver.WaitForEvent(events[buffer]);
        var stream = TorchStreams.Current(deviceIndex);
        driver.CopyToHostAsync(buffers[buffer], TorchStreams.Address(contiguous), (nuint)(count * sizeof(long)), stream);
        driver.RecordEvent(events[buffer], stream);
        queued[buffer] = true;
        next = (next + 1) % Buffers;
        return new Ticket(buffer, count, null);
    }

    /// <summary>The values, once the work queued before the read has run.</summary>
    public long[] Finish(Ticket ticket)
    {
        if (ticket.Values is { } values) return values;
        using var scope = driver!.Enter(context);
        driver.WaitForEvent(events[ticket.Buffer]);
        queued[ticket.Buffer] = false;
        return new ReadOnlySpan<long>(buffers[ticket.Buffer], ticket.Count).ToArray();
    }

    public void Dispose()
    {
        if (driver is null) return;
        using var scope = driver.Enter(context);
        for (int i = 0; i < Buffers; i++)
        {
            if (queued[i]) driver.WaitForEvent(events[i]);
            driver.DestroyEvent(events[i]);
            driver.FreeHost(buffers[i]);
        }
    }
}
