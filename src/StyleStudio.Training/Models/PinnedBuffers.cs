using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// Page-locked host buffers for offloaded checkpoints, reused from step to step. Page-locked memory is what lets a
/// device-to-host copy run asynchronously; TorchSharp can only make it by pinning an existing tensor (a copy of its whole
/// size), which per layer and step would cost seconds at 64k tokens. Buffers are handed out per dtype, smallest fit
/// first; a request larger than every free buffer drops the free ones (sequences grew, they would never fit again).
/// </summary>
/// <param name="pin">Page-lock the buffers: only where a CUDA libtorch is loaded (elsewhere they stay plain host memory).</param>
sealed class PinnedBuffers(bool pin) : IDisposable
{
    readonly List<Tensor> free = [];
    bool disposed;

    /// <summary>A buffer of at least <paramref name="shape"/>'s size, viewed as that shape; give it back with <see cref="Return"/>.</summary>
    public (Tensor Buffer, Tensor View) Rent(long[] shape, ScalarType dtype)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        Tensor? buffer;
        lock (free)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            buffer = free.Where(b => b.dtype == dtype && b.numel() >= count).MinBy(b => b.numel());
            if (buffer is not null)
                free.Remove(buffer);
            else
            {
                foreach (var small in free.Where(b => b.dtype == dtype).ToList())
                {
                    free.Remove(small);
                    small.Dispose();
                }
            }
        }
        if (buffer is null)
        {
            var pageable = empty([count], dtype, CPU);
            buffer = pin ? pageable.pin_memory() : pageable;
            if (pin) pageable.Dispose();
            buffer.DetachFromDisposeScope();
        }
        return (buffer, buffer.narrow(0, 0, count).view(shape).DetachFromDisposeScope());
    }

    /// <summary>Takes a buffer back. Work queued on the stream may still read it: only work queued later on that stream
    /// (which runs after it) may write it again, which holds for the copies of checkpoints.</summary>
    public void Return(Tensor buffer)
    {
        lock (free)
        {
            if (disposed) buffer.Dispose();
            else free.Add(buffer);
        }
    }

    public void Dispose()
    {
        lock (free)
        {
            disposed = true;
            free.ForEach(b => b.Dispose());
            free.Clear();
        }
    }
}
