using StyleStudio.Models.Hubs;

namespace StyleStudio.Models.Download;

/// <summary>What to download, from where, and into which models folder.</summary>
/// <param name="RepoId">The repository, e.g. <c>Qwen/Qwen2.5-0.5B-Instruct</c>.</param>
/// <param name="Revision">Branch, tag or commit. Defaults to the hub's default branch (main, or master on ModelScope).</param>
/// <param name="ModelsFolder">The model lands in <c>ModelsFolder/NAME</c>, NAME being the repository's name part.</param>
public sealed record PullRequest(string RepoId, HubSource Source, string? Revision, string ModelsFolder)
{
    /// <summary>The folder name the model gets: the repository's name part.</summary>
    public string Name => IModelHub.CheckRepoId(RepoId).Split('/')[^1] is { } name && !name.StartsWith('.') ? name
        : throw new ArgumentException($"'{RepoId}': a model name cannot start with a dot (hidden folders are not listed)");
}

/// <summary>A file of a pulled model: its path in the model folder and its size.</summary>
public sealed record PulledFile(string Path, long Bytes);

/// <summary>A model that landed: its folder, its files, their total size, and how much of it this call transferred.</summary>
public sealed record PullResult(string Path, IReadOnlyList<PulledFile> Files, long Bytes, long BytesTransferred, IReadOnlyList<string> SkippedNames);
