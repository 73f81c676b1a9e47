namespace StyleStudio.Data.Import;

/// <summary>
/// How much one import may take, so that a hostile or broken file (a zip bomb, a 2 GB line, millions of bad rows) is
/// refused with a clear message instead of exhausting memory. The defaults let any real dataset through.
/// </summary>
public sealed record ImportLimits
{
    public static ImportLimits Default { get; } = new();

    /// <summary>Total uncompressed size of a zip-based file's entries (xlsx). Defaults to 1 GiB.</summary>
    public long MaxUncompressedBytes { get; init; } = 1L << 30;

    /// <summary>Uncompressed : compressed size of one entry. Defaults to 100. Sheets of repeated strings compress far
    /// better than text, so the ratio alone refuses nothing: see <see cref="RatioCheckedFrom"/>.</summary>
    public double MaxCompressionRatio { get; init; } = 100;

    /// <summary>An entry is held to <see cref="MaxCompressionRatio"/> only from this uncompressed size on. Defaults to 64 MiB.</summary>
    public long RatioCheckedFrom { get; init; } = 64L << 20;

    /// <summary>Uncompressed size of a zip entry that its reader holds whole in memory (an xlsx's shared strings, which
    /// take about twice their size as .NET strings). Defaults to 256 MiB.</summary>
    public long MaxHeldWholeBytes { get; init; } = 256L << 20;

    /// <summary>Uncompressed size of one Parquet row group (each is read whole). Defaults to 512 MiB.</summary>
    public long MaxRowGroupBytes { get; init; } = 512L << 20;

    /// <summary>Bytes of one line of a JSON Lines file; a longer line is rejected as a row, unread. Defaults to 16 MiB.</summary>
    public int MaxLineBytes { get; init; } = 16 << 20;

    /// <summary>Characters of one cell or field as read; a longer one rejects its row. Defaults to 1 Mi.</summary>
    public int MaxFieldChars { get; init; } = 1 << 20;

    /// <summary>Rejected rows kept in memory and in the database; all of them are counted and written to the report file.
    /// Defaults to 1,000.</summary>
    public int KeptRejections { get; init; } = 1_000;
}

/// <summary>A file that exceeds an <see cref="ImportLimits"/> cap; the message names the file, the part, the sizes and the limit.</summary>
public sealed class ImportLimitException(string message) : Exception(message);
