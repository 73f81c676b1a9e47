using System.IO.Compression;

namespace StyleStudio.Data.Import;

/// <summary>
/// Holds a zip-based file (xlsx) to <see cref="ImportLimits"/> before any reader opens it, from the sizes its central
/// directory declares: instant, and a zip bomb is refused without inflating a byte. Declared sizes can lie, but
/// System.IO.Compression stops inflating an entry at its declared size (a lying entry reads as cut short, which the
/// reader reports as a damaged file), so the declared sizes bound what any reader of the archive can get.
/// </summary>
public static class ZipLimits
{
    /// <exception cref="ImportLimitException">An entry or the whole archive is too large or compressed too far.</exception>
    /// <exception cref="SourceFormatException">The file is not a zip archive.</exception>
    /// <param name="heldWhole">Entries the reader loads whole into memory, held to <see cref="ImportLimits.MaxHeldWholeBytes"/>.</param>
    public static void Check(string path, string kind, ImportLimits limits, IReadOnlySet<string> heldWhole)
    {
        string file = Path.GetFileName(path);
        try
        {
            using var archive = ZipFile.OpenRead(path);
            long total = 0;
            foreach (var entry in archive.Entries)
            {
                total += entry.Length;
                CheckEntry(file, entry.FullName, entry.Length, entry.CompressedLength, total, limits);
                if (heldWhole.Contains(entry.FullName) && entry.Length > limits.MaxHeldWholeBytes)
                    throw new ImportLimitException($"{file}: entry {entry.FullName} declares {Size(entry.Length)} uncompressed; it is read " +
                                                   $"whole into memory, and the limit for that is {Size(limits.MaxHeldWholeBytes)}");
            }
        }
        catch (InvalidDataException e)
        {
            throw new SourceFormatException(path, 0, null, $"not a readable {kind} file ({e.Message.TrimEnd('.')})");
        }
    }

    static void CheckEntry(string file, string entry, long size, long compressed, long total, ImportLimits limits)
    {
        if (size > limits.MaxUncompressedBytes || total > limits.MaxUncompressedBytes)
            throw new ImportLimitException($"{file}: entry {entry} declares {Size(size)} uncompressed" +
                (total > size ? $" ({Size(total)} with the entries before it)" : "") +
                $"; the limit is {Size(limits.MaxUncompressedBytes)} uncompressed per file");
        double ratio = (double)size / Math.Max(1, compressed);
        if (size >= limits.RatioCheckedFrom && ratio > limits.MaxCompressionRatio)
            throw new ImportLimitException($"{file}: entry {entry} declares {Size(size)} from {Size(compressed)} compressed " +
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
