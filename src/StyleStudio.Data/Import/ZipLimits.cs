using System.IO.Compression;

namespace StyleStudio.Data.Import;

/// <summary>
/// Holds a zip-based file (xlsx) to <see cref="ImportLimits"/> before any reader opens it: first the sizes the archive
/// declares (instant, refuses a classic zip bomb without inflating a byte), then the bytes its entries actually inflate
/// to, counted through a small buffer — declared sizes can lie, and ExcelDataReader opens the entries itself, so this
/// pass is where real sizes are checked. Memory stays at one buffer whatever the archive holds.
/// </summary>
public static class ZipLimits
{
    const int Buffer = 1 << 16;

    /// <exception cref="ImportLimitException">An entry or the whole archive is too large or compressed too far.</exception>
    /// <exception cref="SourceFormatException">The file is not a zip archive.</exception>
    public static void Check(string path, string kind, ImportLimits limits, CancellationToken cancellation = default)
    {
        string file = Path.GetFileName(path);
        try
        {
            using var archive = ZipFile.OpenRead(path);
            long declared = 0;
            foreach (var entry in archive.Entries)
            {
                declared += entry.Length;
                CheckEntry(file, entry.FullName, entry.Length, entry.CompressedLength, declared, limits, "declares");
            }
            long inflated = 0;
            var buffer = new byte[Buffer];
            foreach (var entry in archive.Entries)
            {
                using var stream = entry.Open();
                long size = 0;
                int read;
                while ((read = stream.Read(buffer)) > 0)
                {
                    size += read;
                    inflated += read;
                    if (size > entry.Length)
                        throw new ImportLimitException($"{file}: entry {entry.FullName} declares {Size(entry.Length)} uncompressed but " +
                                                       $"inflates to more; the file is damaged or built to exhaust memory");
                    if ((size & 0xFFFFFF) < read) cancellation.ThrowIfCancellationRequested();   // every 16 MiB
                }
                CheckEntry(file, entry.FullName, size, entry.CompressedLength, inflated, limits, "inflates to");
            }
        }
        catch (InvalidDataException e)
        {
            throw new SourceFormatException(path, 0, null, $"not a readable {kind} file ({e.Message.TrimEnd('.')})");
        }
    }

    static void CheckEntry(string file, string entry, long size, long compressed, long total, ImportLimits limits, string verb)
    {
        if (size > limits.MaxUncompressedBytes || total > limits.MaxUncompressedBytes)
            throw new ImportLimitException($"{file}: entry {entry} {verb} {Size(size)} uncompressed" +
                (total > size ? $" ({Size(total)} with the entries before it)" : "") +
                $"; the limit is {Size(limits.MaxUncompressedBytes)} uncompressed per file");
        double ratio = (double)size / Math.Max(1, compressed);
        if (size >= limits.RatioCheckedFrom && ratio > limits.MaxCompressionRatio)
            throw new ImportLimitException($"{file}: entry {entry} {verb} {Size(size)} from {Size(compressed)} compressed " +
                $"(ratio {ratio:N0}:1); entries over {Size(limits.RatioCheckedFrom)} may compress at most {limits.MaxCompressionRatio:N0}:1 — " +
                "the file looks like a zip bomb");
    }

    /// <summary>A byte count in the unit a person reads it in (B, KB, MB, GB; binary multiples).</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1L << 10 => $"{bytes} B",
        < 1L << 20 => $"{bytes / 1024.0:0.#} KB",
        < 1L << 30 => $"{bytes / (1024.0 * 1024):0.#} MB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.##} GB",
    };
}
