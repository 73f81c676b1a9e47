namespace StyleStudio.Models.Hubs;

/// <summary>A file in a hub repository at a revision.</summary>
/// <param name="Path">Its path in the repository, as the listing gave it (not yet checked for safety).</param>
/// <param name="Size">Bytes, when the listing says.</param>
/// <param name="Sha256">Lower-case hex sha256 of the content, when the hub gives it (Git LFS files on Hugging Face, every file on ModelScope).</param>
public sealed record RemoteFile(string Path, long? Size, string? Sha256);

/// <summary>The files of a repository at a revision.</summary>
public sealed record RemoteListing(string RepoId, string Revision, IReadOnlyList<RemoteFile> Files);
