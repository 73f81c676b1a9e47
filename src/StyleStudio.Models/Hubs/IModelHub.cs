namespace StyleStudio.Models.Hubs;

/// <summary>A model hub: lists a repository's files at a revision and says where each file is downloaded from.</summary>
public interface IModelHub
{
    HubSource Source { get; }

    /// <summary>The revision used when none is given (<c>main</c> on Hugging Face, <c>master</c> on ModelScope).</summary>
    string DefaultRevision { get; }

    HubHttp Http { get; }

    Task<RemoteListing> ListAsync(string repoId, string revision, CancellationToken cancellation);

    /// <summary>The URL that serves <paramref name="path"/>, possibly through redirects.</summary>
    Uri FileUri(string repoId, string revision, string path);

    /// <summary>Creates the hub client for <paramref name="source"/>.</summary>
    static IModelHub Create(HubSource source, HubOptions options, HttpClient client)
    {
        var http = new HubHttp(client, options.EndpointFor(source), options.TokenFor(source));
        return source == HubSource.HuggingFace ? new HuggingFaceHub(http) : new ModelScopeHub(http);
    }

    /// <summary>Checks a repository id of the form <c>owner/name</c> (the hubs also accept a bare name for a few old models).</summary>
    static string CheckRepoId(string repoId)
    {
        repoId = repoId.Trim();
        var parts = repoId.Split('/');
        if (parts.Length is < 1 or > 2 || parts.Any(p => p.Length == 0 || p is "." or ".." || p.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
            throw new ArgumentException($"'{repoId}' is not a repository id; expected owner/name, e.g. Qwen/Qwen2.5-0.5B-Instruct");
        return repoId;
    }
}
