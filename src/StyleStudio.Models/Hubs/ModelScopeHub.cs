using System.Text.Json;
using static StyleStudio.Models.Hubs.JsonFields;

namespace StyleStudio.Models.Hubs;

/// <summary>
/// ModelScope's protocol, as its Python client (modelscope/hub/api.py) speaks it: the listing from
/// <c>GET /api/v1/models/{id}/repo/files?Revision={rev}&amp;Recursive=True</c> (Name, Path, Type, Size, Sha256 per file, in
/// a <c>{"Code":200,"Data":{"Files":[…]}}</c> envelope) and each file from <c>GET /api/v1/models/{id}/repo?Revision={rev}&amp;FilePath={path}</c>.
/// </summary>
public sealed class ModelScopeHub(HubHttp http) : IModelHub
{
    public HubSource Source => HubSource.ModelScope;
    public string DefaultRevision => "master";
    public HubHttp Http => http;

    public async Task<RemoteListing> ListAsync(string repoId, string revision, CancellationToken cancellation)
    {
        string what = $"{repoId}@{revision}";
        var uri = new Uri(http.Endpoint, $"api/v1/models/{repoId}/repo/files?Revision={Uri.EscapeDataString(revision)}&Recursive=True");
        await using var body = await http.GetJsonAsync(uri, what, cancellation);
        try
        {
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellation);
            var root = document.RootElement;
            if (root.TryGetProperty("Code", out var code) && code.ValueKind == JsonValueKind.Number && code.GetInt32() != 200)
                throw Refusal(what, code.GetInt32(), root.TryGetProperty("Message", out var m) ? m.GetString() : null);
            if (!root.TryGetProperty("Data", out var data) || !data.TryGetProperty("Files", out var files) || files.ValueKind != JsonValueKind.Array)
                throw new HubException(HubError.Invalid, $"{what}: the listing from {uri.Host} has no Data.Files");
            return new(repoId, revision, files.EnumerateArray()
                .Where(f => !f.TryGetProperty("Type", out var type) || type.GetString() != "tree")
                .Select(f => new RemoteFile(
                    String(f, "Path") ?? String(f, "Name") ?? throw new HubException(HubError.Invalid, $"{what}: a listed file has no Path"),
                    Long(f, "Size"),
                    String(f, "Sha256") is { Length: 64 } sha ? sha.ToLowerInvariant() : null))
                .ToList());
        }
        catch (JsonException e)
        {
            throw new HubException(HubError.Invalid, $"{what}: the listing from {uri.Host} is not valid JSON ({e.Message})");
        }
    }

    public Uri FileUri(string repoId, string revision, string path) =>
        new(http.Endpoint, $"api/v1/models/{repoId}/repo?Revision={Uri.EscapeDataString(revision)}&FilePath={Uri.EscapeDataString(path)}");

    static HubException Refusal(string what, int code, string? message) => code switch
    {
        404 or 10010205 => new(HubError.RepositoryNotFound, $"{what}: model not found on ModelScope — check the id ({message})", code),
        401 or 403 => new(HubError.Gated, $"{what}: access denied — pass an access token for this model ({message})", code),
        _ => new(HubError.Unavailable, $"{what}: ModelScope answered code {code} ({message})", code),
    };
}
