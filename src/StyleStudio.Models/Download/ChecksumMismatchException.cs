namespace StyleStudio.Models.Download;

/// <summary>A downloaded file is not what the hub's listing said it is (size or sha256); it has been deleted.</summary>
public sealed class ChecksumMismatchException(string file, string reason) : Exception($"{file}: {reason}; the download was rejected and removed")
{
    public string File { get; } = file;
}
