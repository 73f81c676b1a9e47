namespace StyleStudio.Models.Download;

/// <summary>Where a download stands; the CLI prints it to stderr and the studio's progress bar shows it.</summary>
/// <param name="BytesDone">Bytes of the model on disk so far, including those kept from an earlier, interrupted attempt.</param>
/// <param name="BytesTotal">Bytes of all the files to fetch, when the listing gives every size.</param>
/// <param name="BytesPerSecond">Transfer speed over this attempt.</param>
/// <param name="Remaining">Estimated time left, when the speed and total are known.</param>
/// <param name="CurrentFile">The file being transferred, or null between files.</param>
public sealed record DownloadProgress(string RepoId, long BytesDone, long? BytesTotal, double BytesPerSecond, TimeSpan? Remaining,
    string? CurrentFile, int FilesDone, int FilesTotal)
{
    /// <summary>0–100, or null when the total is unknown.</summary>
    public double? Percent => BytesTotal is { } total && total > 0 ? 100.0 * BytesDone / total : null;

    /// <summary>One line for a person: "12.3 / 942.0 MiB (1%) · 5.1 MiB/s · 3:02 left · model.safetensors".</summary>
    public override string ToString() =>
        $"{Bytes(BytesDone)}{(BytesTotal is { } total ? $" / {Bytes(total)} ({Percent:F0}%)" : "")} · {Bytes((long)BytesPerSecond)}/s" +
        (Remaining is { } left ? $" · {(int)left.TotalMinutes}:{left.Seconds:00} left" : "") +
        $" · file {Math.Min(FilesDone + 1, FilesTotal)}/{FilesTotal}{(CurrentFile is null ? "" : $" {CurrentFile}")}";

    /// <summary>Bytes in binary units, as file managers show them.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:F1} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):F1} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):F2} GiB",
    };
}
