using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Checkpoints;

/// <summary>
/// An open safetensors file whose tensors are read straight into existing tensors: same dtype on CPU goes from the page
/// cache into parameter storage with no intermediate copy; a dtype or device change goes through a bounded staging chunk.
/// (TorchSharp has no safetensors support, and TorchSharp.PyBridge converts dtypes silently and allocates a second copy.)
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    /// <summary>Largest staging chunk for converting reads; bounds the extra memory a load needs.</summary>
    const long StagingBytes = 64L * 1024 * 1024;

    /// <summary>TorchSharp exposes tensor memory as Span&lt;byte&gt;, so direct reads go in pieces under 2 GiB.</summary>
    const long DirectChunkBytes = 1L << 30;

    readonly SafeFileHandle handle;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public SafetensorsFile(string path)
    {
        Path = path;
        var (entries, metadata) = SafetensorsHeader.Read(path);
        Entries = entries.ToDictionary(e => e.Name);
        Metadata = metadata;
        handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
    }

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="destination"/>, converting dtype and device.</summary>
    public void ReadInto(string name, Tensor destination)
    {
        var entry = Entries[name];
        if (!entry.Shape.SequenceEqual(destination.shape))
            throw new ModelLoadException(Path, name,
                $"shape [{string.Join(", ", entry.Shape)}] in the file, but the model expects [{string.Join(", ", destination.shape)}]");
        if (!destination.is_contiguous())
            throw new ArgumentException("destination must be contiguous", nameof(destination));

        using var _ = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = destination.view(-1);
        int elementSize = SafetensorsHeader.ElementSize(entry.DType);
        bool direct = destination.device_type == DeviceType.CPU && destination.dtype == entry.DType;
        long chunkElements = (direct ? DirectChunkBytes : StagingBytes) / elementSize;

        for (long first = 0; first < entry.ElementCount; first += chunkElements)
        {
            long count = Math.Min(chunkElements, entry.ElementCount - first);
            long offset = entry.Start + first * elementSize;
            var target = flat.narrow(0, first, count);
            if (direct)
            {
                ReadExactly(target.bytes, offset, name);
            }
            else
            {
                using var staging = empty(count, entry.DType);
                ReadExactly(staging.bytes, offset, name);
                target.copy_(staging);
            }
        }
    }

    void ReadExactly(Span<byte> buffer, long offset, string name)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0)
                throw new ModelLoadException(Path, name, "file ended while reading tensor data (truncated file)");
            buffer = buffer[read..];
            offset += read;
        }
    }

    public void Dispose() => handle.Dispose();
}
