using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace StyleStudio.Tests.Support;

/// <summary>
/// A model hub on loopback that speaks the Hugging Face Hub's protocol (and ModelScope's) over real HTTP, serving
/// repositories from folders on disk: the revision listing with sizes and LFS sha256, <c>resolve</c> URLs that redirect LFS
/// files to a "CDN" on another host name (<c>localhost</c> instead of <c>127.0.0.1</c>, so a host check is real), relative
/// 307 redirects for renamed repositories, Range requests, and the hub's <c>X-Error-Code</c> errors. Fault switches drop
/// a connection mid-file, lie about a checksum or slip dangerous names into a listing. Every request is logged.
/// </summary>
sealed class LocalHub : IAsyncDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    /// <summary>A repository: its files' folder, whether it is gated (needs <see cref="Token"/>), names listed but not served,
    /// a file whose listed sha256 is wrong, and files listed with a size but never served.</summary>
    public sealed record Repo(string Folder, bool Gated = false, IReadOnlyList<string>? ExtraNames = null, string? WrongShaFor = null,
        IReadOnlyDictionary<string, long>? ClaimedFiles = null);

    public sealed record Request(string Method, string Host, string Path, string? Range, string? Authorization, int Status);

    /// <summary>ModelScope's API names its fields in PascalCase.</summary>
    static readonly JsonSerializerOptions PascalCase = new() { PropertyNamingPolicy = null };

    readonly WebApplication app;
    readonly ConcurrentDictionary<string, Repo> repos = new();
    readonly ConcurrentDictionary<string, string> renamed = new();
    readonly ConcurrentDictionary<string, long> served = new();
    readonly ConcurrentDictionary<string, int> dropsLeft = new();
    readonly ConcurrentQueue<Request> requests = new();

    public string Token { get; set; } = "hf_test_token";
    public Uri Endpoint { get; }
    public int Port { get; }
    public IReadOnlyList<Request> Requests => requests.ToList();

    /// <summary>Bytes of file content served, by repository path ("acme/tiny-qwen/model.safetensors").</summary>
    public long Served(string repoId, string path) => served.GetValueOrDefault($"{repoId}/{path}");

    /// <summary>Serving <paramref name="path"/> of <paramref name="repoId"/> stops after <paramref name="bytes"/> bytes, <paramref name="times"/> times.</summary>
    public void DropAfter(string repoId, string path, long bytes, int times = 1)
    {
        DropBytes = bytes;
        dropsLeft[$"{repoId}/{path}"] = times;
    }

    long DropBytes { get; set; }

    /// <summary>File content goes out at about this many bytes a second (null: as fast as possible), so progress can be watched.</summary>
    public int? BytesPerSecond { get; set; }

    public LocalHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Use(async (context, next) =>
        {
            await next();
            requests.Enqueue(new(context.Request.Method, context.Request.Host.Host, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.Range.FirstOrDefault(), context.Request.Headers.Authorization.FirstOrDefault(), context.Response.StatusCode));
        });
        app.MapGet("/api/models/{owner}/{name}/revision/{revision}", Listing);
        app.MapGet("/api/models/{owner}/{name}/tree/{revision}", Tree);
        app.MapMethods("/{owner}/{name}/resolve/{revision}/{**path}", ["GET", "HEAD"], Resolve);
        app.MapMethods("/cdn/{owner}/{name}/{**path}", ["GET", "HEAD"], (HttpContext c, string owner, string name, string path) =>
            ServeFileAsync(c, $"{owner}/{name}", path));
        app.MapGet("/api/v1/models/{owner}/{name}/repo/files", ModelScopeListing);
        app.MapGet("/api/v1/models/{owner}/{name}/repo", ModelScopeFile);
        app.StartAsync().GetAwaiter().GetResult();
        Port = new Uri(app.Urls.First()).Port;
        Endpoint = new Uri($"http://127.0.0.1:{Port}");
    }

    public void Add(string repoId, Repo repo) => repos[repoId] = repo;

    /// <summary>When true, the listing ignores <c>?blobs=true</c> and gives names only (huggingface_hub's default request).</summary>
    public bool NamesOnly { get; set; }

    /// <summary>When false, the revision API answers a bare 404, as a mirror with only the tree API would.</summary>
    public bool RevisionApi { get; set; } = true;

    /// <summary><paramref name="oldId"/> now redirects (307, relative) to <paramref name="newId"/>, as the Hub does for renamed repositories.</summary>
    public void Rename(string oldId, string newId) => renamed[oldId] = newId;

    IResult? Refuse(HttpContext context, string repoId, string revision)
    {
        string? auth = context.Request.Headers.Authorization.FirstOrDefault();
        if (!repos.TryGetValue(repoId, out var repo))
            // The Hub answers an anonymous request for a missing repository with 401, so private ones are not revealed.
            return Error(context, auth is null ? 401 : 404, "RepoNotFound", "Repository Not Found");
        if (repo.Gated && auth != $"Bearer {Token}")
            return Error(context, auth is null ? 401 : 403, "GatedRepo", $"Access to model {repoId} is restricted. You must have access to it and be authenticated to access it. Please log in.");
        if (revision is not ("main" or Commit)) return Error(context, 404, "RevisionNotFound", $"Invalid rev id: {revision}");
        return null;
    }

    static IResult Error(HttpContext context, int status, string code, string message)
    {
        context.Response.Headers["X-Error-Code"] = code;
        context.Response.Headers["X-Error-Message"] = message;
        return Results.Json(new { error = message }, statusCode: status);
    }

    IResult Listing(HttpContext context, string owner, string name, string revision)
    {
        string repoId = $"{owner}/{name}";
        if (renamed.TryGetValue(repoId, out var to))
            return Redirect(context, 307, $"/api/models/{to}/revision/{revision}{context.Request.QueryString}");
        if (!RevisionApi) return Results.NotFound();
        if (Refuse(context, repoId, revision) is { } refusal) return refusal;
        var repo = repos[repoId];
        bool blobs = context.Request.Query["blobs"] == "true" && !NamesOnly;
        var siblings = Files(repo).Select(f => blobs
            ? (object)new { rfilename = f.Name, size = f.Size, blobId = f.Sha256[..40], lfs = IsLfs(f.Name) ? new { sha256 = Sha(repo, f), size = f.Size, pointerSize = 134 } : null }
            : new { rfilename = f.Name }).ToList();
        siblings.AddRange((repo.ExtraNames ?? []).Select(n => (object)new { rfilename = n, size = 7, lfs = (object?)null }));
        siblings.AddRange((repo.ClaimedFiles ?? new Dictionary<string, long>()).Select(f => (object)new { rfilename = f.Key, size = f.Value, lfs = new { sha256 = new string('a', 64), size = f.Value } }));
        return Results.Json(new { id = repoId, modelId = repoId, sha = Commit, @private = false, gated = repo.Gated ? "manual" : (object)false, siblings });
    }

    /// <summary>The tree API, two entries a page, paged by a Link header as the Hub pages it.</summary>
    IResult Tree(HttpContext context, string owner, string name, string revision)
    {
        string repoId = $"{owner}/{name}";
        if (Refuse(context, repoId, revision) is { } refusal) return refusal;
        var repo = repos[repoId];
        int page = int.TryParse(context.Request.Query["page"], out int p) ? p : 0;
        var files = Files(repo);
        if ((page + 1) * 2 < files.Count)
            context.Response.Headers["Link"] = $"</api/models/{repoId}/tree/{revision}?recursive=true&page={page + 1}>; rel=\"next\"";
        return Results.Json(files.Skip(page * 2).Take(2).Select(f => new
        {
            type = "file", oid = f.Sha256[..40], size = f.Size, path = f.Name,
            lfs = IsLfs(f.Name) ? new { oid = Sha(repo, f), size = f.Size, pointerSize = 134 } : null,
        }));
    }

    IResult Resolve(HttpContext context, string owner, string name, string revision, string path)
    {
        string repoId = $"{owner}/{name}";
        if (renamed.TryGetValue(repoId, out var to)) return Redirect(context, 307, $"/{to}/resolve/{revision}/{path}");
        if (Refuse(context, repoId, revision) is { } refusal) return refusal;
        var file = Files(repos[repoId]).FirstOrDefault(f => f.Name == path);
        if (file is null) return Error(context, 404, "EntryNotFound", $"{path} does not exist on {revision}");
        context.Response.Headers["X-Repo-Commit"] = Commit;
        if (!IsLfs(path))
        {
            context.Response.Headers.ETag = $"\"{file.Sha256[..40]}\"";
            return new FileResult(this, repoId, path);
        }
        // LFS files live on the CDN, another host: the client must not send it the token.
        context.Response.Headers["X-Linked-Size"] = file.Size.ToString();
        context.Response.Headers["X-Linked-Etag"] = $"\"{Sha(repos[repoId], file)}\"";
        return Redirect(context, 302, $"http://localhost:{Port}/cdn/{repoId}/{path}");
    }

    IResult ModelScopeListing(HttpContext context, string owner, string name)
    {
        string repoId = $"{owner}/{name}";
        if (!repos.TryGetValue(repoId, out var repo))
            return Results.Json(new { Code = 10010205, Message = $"model {repoId} not exists", Success = false }, PascalCase, statusCode: 404);
        var files = Files(repo).Select(f => new { Name = f.Name, Path = f.Name, Type = "blob", Size = f.Size, Sha256 = Sha(repo, f), Revision = "master" });
        return Results.Json(new { Code = 200, Data = new { Files = files }, Message = "success", Success = true }, PascalCase);
    }

    IResult ModelScopeFile(HttpContext context, string owner, string name)
    {
        string repoId = $"{owner}/{name}";
        string path = context.Request.Query["FilePath"].ToString();
        if (!repos.TryGetValue(repoId, out var repo) || !Files(repo).Any(f => f.Name == path))
            return Results.Json(new { Code = 404, Message = "not found", Success = false }, PascalCase, statusCode: 404);
        return new FileResult(this, repoId, path);
    }

    static IResult Redirect(HttpContext context, int status, string location)
    {
        context.Response.Headers.Location = location;
        return Results.StatusCode(status);
    }

    /// <summary>Serves a file with Range support; a drop switch cuts the connection after some bytes.</summary>
    internal async Task ServeFileAsync(HttpContext context, string repoId, string path)
    {
        if (!repos.TryGetValue(repoId, out var repo) || !File.Exists(Path.Combine(repo.Folder, path)))
        {
            context.Response.StatusCode = 404;
            return;
        }
        byte[] content = await File.ReadAllBytesAsync(Path.Combine(repo.Folder, path));
        long start = 0;
        if (context.Request.Headers.Range.FirstOrDefault() is { } range && range.StartsWith("bytes=") && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1]);
            if (start >= content.Length)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        context.Response.ContentLength = content.Length - start;
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.ContentType = "application/octet-stream";
        if (HttpMethods.IsHead(context.Request.Method)) return;
        long count = content.Length - start;
        string key = $"{repoId}/{path}";
        bool drop = dropsLeft.TryGetValue(key, out int left) && left > 0 && count > DropBytes;
        if (drop)
        {
            dropsLeft[key] = left - 1;
            count = DropBytes;
        }
        const int Chunk = 16 * 1024;
        for (long offset = 0; offset < count; offset += Chunk)
        {
            int length = (int)Math.Min(Chunk, count - offset);
            await context.Response.Body.WriteAsync(content.AsMemory((int)(start + offset), length), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            served.AddOrUpdate(key, length, (_, n) => n + length);
            if (BytesPerSecond is { } rate) await Task.Delay(TimeSpan.FromSeconds((double)length / rate), context.RequestAborted);
        }
        if (drop)
        {
            // Give the client time to read what was sent: an abort resets the connection, and a reset can discard unread bytes.
            await Task.Delay(300);
            context.Abort();
        }
    }

    sealed record HubFile(string Name, long Size, string Sha256);

    /// <summary>The repository's files: the fixture folder's, less the reference.* outputs the model tests compare with.</summary>
    static List<HubFile> Files(Repo repo) => Directory.EnumerateFiles(repo.Folder)
        .Where(f => !Path.GetFileName(f).StartsWith("reference."))
        .Select(f => new HubFile(Path.GetFileName(f), new FileInfo(f).Length, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))))
        .OrderBy(f => f.Name, StringComparer.Ordinal)
        .ToList();

    static string Sha(Repo repo, HubFile file) => repo.WrongShaFor == file.Name ? new string('0', 64) : file.Sha256;

    static bool IsLfs(string path) => path.EndsWith(".safetensors") || path == "tokenizer.json";

    /// <summary>Streams a file through <see cref="ServeFileAsync"/>.</summary>
    sealed class FileResult(LocalHub hub, string repoId, string path) : IResult
    {
        public Task ExecuteAsync(HttpContext context) => hub.ServeFileAsync(context, repoId, path);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
