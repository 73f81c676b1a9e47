using System.Text.Json;
using static StyleStudio.Models.Hubs.JsonFields;

namespace StyleStudio.Models.Hubs;

/// <summary>
/// The Hugging Face Hub's protocol, as huggingface_hub speaks it: the file listing at a revision from
/// <c>GET /api/models/{repo}/revision/{rev}?blobs=true</c> (siblings with size and, for LFS files, sha256), falling back to
/// the tree API (<c>/api/models/{repo}/tree/{rev}?recursive=true</c>, paged by Link headers) where a mirror lacks the first;
/// files from <c>GET /{repo}/resolve/{rev}/{path}</c>, which redirects to the CDN for LFS files.
/// </summary>
public sealed class HuggingFaceHub(HubHttp http) : IModelHub
{
    public HubSource Source => HubSource.HuggingFace;
    public string DefaultRevision => "main";
    public HubHttp Http => http;

    public async Task<RemoteListing> ListAsync(string repoId, string revision, CancellationToken cancellation)
    {
        string what = $"{repoId}@{revision}";
        var info = new Uri(http.Endpoint, $"api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        try
        {
            await using var body = await http.GetJsonAsync(info, what, cancellation);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellation);
            if (document.RootElement.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array)
                return new(repoId, revision, siblings.EnumerateArray().Select(Sibling).ToList());
        }
        catch (HubException e) when (e is { Status: 404, Code: null })
        {
            // A 404 without the hub's error code: a mirror without the revision API; the tree API below answers for the repository.
        }
        catch (JsonException e)
        {
            throw new HubException(HubError.Invalid, $"{what}: the listing from {info.Host} is not valid JSON ({e.Message})");
        }
        return new(repoId, revision, await TreeAsync(repoId, revision, what, cancellation));
    }

    public Uri FileUri(string repoId, string revision, string path) =>
        new(http.Endpoint, $"{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    async Task<List<RemoteFile>> TreeAsync(string repoId, string revision, string what, CancellationToken cancellation)
    {
        var files = new List<RemoteFile>();
        Uri? page = new(http.Endpoint, $"api/models/{repoId}/tree/{Uri.EscapeDataString(revision)}?recursive=true&expand=false");
        while (page is not null)
        {
            using var response = await http.SendAsync(HttpMethod.Get, page, what, cancellation);
            await using var body = await response.Content.ReadAsStreamAsync(cancellation);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellation);
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                if (entry.TryGetProperty("type", out var type) && type.GetString() != "file") continue;
                files.Add(new(String(entry, "path") ?? throw new HubException(HubError.Invalid, $"{what}: a tree entry has no path"),
                    Long(entry, "size"), entry.TryGetProperty("lfs", out var lfs) ? String(lfs, "oid") ?? String(lfs, "sha256") : null));
            }
            page = NextPage(response, page);
        }
        return files;
    }

    static RemoteFile Sibling(JsonElement sibling)
    {
        string path = String(sibling, "rfilename") ?? throw new HubException(HubError.Invalid, "a listed file has no rfilename");
        string? sha256 = sibling.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? String(lfs, "sha256") ?? String(lfs, "oid") : null;
        long? size = Long(sibling, "size") ?? (lfs.ValueKind == JsonValueKind.Object ? Long(lfs, "size") : null);
        return new(path, size, sha256?.ToLowerInvariant());
    }

    /// <summary>The <c>Link: &lt;url&gt;; rel="next"</c> page, as huggingface_hub's paginate follows it.</summary>
    static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in string.Join(',', links).Split(','))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length > 1 && parts[1].Replace(" ", "") == "rel=\"next\"" && parts[0].StartsWith('<') && parts[0].EndsWith('>'))
                return new Uri(current, parts[0][1..^1]);
        }
        return null;
    }
}
