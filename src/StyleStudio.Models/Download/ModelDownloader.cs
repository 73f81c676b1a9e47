using System.Diagnostics;
using System.Text.Json;
using StyleStudio.Models.Hubs;

namespace StyleStudio.Models.Download;

/// <summary>
/// Downloads a model from a hub into the models folder. Files go into a hidden staging folder
/// (<c>.downloads/NAME</c>, which no model listing shows) and the folder is renamed into place only when every file has
/// been verified, so a half-downloaded model never looks usable. The staging folder outlives an interruption: pulling again
/// continues from the bytes on disk. A file that fails its checksum takes the whole staging folder with it.
/// </summary>
public sealed class ModelDownloader(HttpClient client, HubOptions options)
{
    public const string StagingFolder = ".downloads";

    /// <summary>Appended to a file's name while it is being transferred.</summary>
    public const string PartialSuffix = FileFetcher.PartialSuffix;
    static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>This downloader with <paramref name="token"/> instead of the configured one (none given: this one).</summary>
    public ModelDownloader WithToken(string? token) => string.IsNullOrWhiteSpace(token) ? this : new(client, options with { Token = token });

    public async Task<PullResult> PullAsync(PullRequest request, IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        string repoId = IModelHub.CheckRepoId(request.RepoId);
        string name = request.Name;
        string models = Path.GetFullPath(request.ModelsFolder);
        string target = Path.Combine(models, name);
        if (Directory.Exists(target) || File.Exists(target))
            throw new InvalidOperationException($"{target} already exists; remove that model first (stylestudio model rm {name})");

        var hub = IModelHub.Create(request.Source, options, client);
        string revision = string.IsNullOrWhiteSpace(request.Revision) ? hub.DefaultRevision : request.Revision.Trim();
        var listing = await hub.ListAsync(repoId, revision, cancellation);

        string staging = StagingPath(models, name);
        Directory.CreateDirectory(Path.GetDirectoryName(staging)!);
        try
        {
            using var claim = Claim(staging);
            return await DownloadAsync(hub, listing, staging, target, progress, cancellation);
        }
        finally
        {
            TryRemoveEmpty(Path.GetDirectoryName(staging)!);
        }
    }

    async Task<PullResult> DownloadAsync(IModelHub hub, RemoteListing listing, string staging, string target,
        IProgress<DownloadProgress>? progress, CancellationToken cancellation)
    {
        var (repoId, revision) = (listing.RepoId, listing.Revision);
        var (plan, skipped) = Plan(listing, staging);
        string identity = JsonSerializer.Serialize(new { source = hub.Source.ToString(), repo = repoId, revision });
        DiscardIfFromElsewhere(staging, identity);
        await FillMissingSizesAsync(hub, repoId, revision, plan, cancellation);
        CheckFreeSpace(Path.GetDirectoryName(target)!, plan);
        Directory.CreateDirectory(staging);
        File.WriteAllText(SourceRecord(staging), identity);

        var meter = new Meter(repoId, plan, progress);
        var fetcher = new FileFetcher(hub.Http, meter.Add);
        var files = new List<PulledFile>();
        try
        {
            foreach (var (file, destination) in plan)
            {
                meter.Start(file.Path);
                long bytes = File.Exists(destination) && (file.Size is null || new FileInfo(destination).Length == file.Size)
                    ? new FileInfo(destination).Length   // verified and named in an earlier attempt
                    : await fetcher.FetchAsync(hub.FileUri(repoId, revision, file.Path), file.Path, destination, file, cancellation);
                files.Add(new(file.Path, bytes));
                meter.Finish();
            }
        }
        catch (ChecksumMismatchException)
        {
            Discard(staging);   // nothing of a rejected download stays behind
            throw;
        }
        Directory.Move(staging, target);
        File.Delete(SourceRecord(staging));
        meter.Report(force: true);
        return new(target, files, files.Sum(f => f.Bytes), meter.Transferred, skipped);
    }

    /// <summary>The staging folder of <paramref name="modelName"/> in <paramref name="modelsFolder"/>.</summary>
    public static string StagingPath(string modelsFolder, string modelName) => Path.Combine(modelsFolder, StagingFolder, modelName);

    /// <summary>Deletes a download's staging folder (after a cancel).</summary>
    public static void Discard(string modelsFolder, string modelName) => Discard(StagingPath(modelsFolder, modelName));

    static void Discard(string staging)
    {
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        File.Delete(SourceRecord(staging));
        TryRemoveEmpty(Path.GetDirectoryName(staging)!);
    }

    /// <summary>The files to fetch, each with its safe destination; names that are unsafe or not needed are left out.</summary>
    static (List<(RemoteFile File, string Destination)> Plan, List<string> Skipped) Plan(RemoteListing listing, string staging)
    {
        var plan = new List<(RemoteFile, string)>();
        var skipped = new List<string>();
        foreach (var file in listing.Files)
        {
            string? destination = ModelFiles.SafePath(staging, file.Path);
            if (destination is null) skipped.Add(file.Path);
            else if (ModelFiles.IsNeeded(file.Path) && !plan.Any(p => p.Item2 == destination)) plan.Add((file, destination));
        }
        if (!plan.Any(p => p.Item1.Path == "config.json"))
            throw new InvalidOperationException($"{listing.RepoId}@{listing.Revision} has no config.json: not a Hugging Face transformers model");
        if (!plan.Any(p => p.Item1.Path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"{listing.RepoId}@{listing.Revision} has no .safetensors weights (only safetensors checkpoints are supported)");
        return (plan, skipped);
    }

    /// <summary>
    /// Sizes and hashes the listing left out (a plain listing without <c>?blobs=true</c> support), from the file's headers
    /// as huggingface_hub reads them: <c>X-Linked-Size</c> and <c>X-Linked-Etag</c> (an LFS file's sha256) on the redirect
    /// to the CDN, else <c>Content-Length</c>. A hub that does not answer HEAD leaves them unknown: the file is then
    /// checked against what the transfer itself declares.
    /// </summary>
    static async Task FillMissingSizesAsync(IModelHub hub, string repoId, string revision, List<(RemoteFile File, string Destination)> plan, CancellationToken cancellation)
    {
        for (int i = 0; i < plan.Count; i++)
        {
            var file = plan[i].File;
            if (file.Size is not null) continue;
            try
            {
                using var response = await hub.Http.SendAsync(HttpMethod.Head, hub.FileUri(repoId, revision, file.Path), file.Path, cancellation,
                    headers => headers.AcceptEncoding.ParseAdd("identity"));
                long? size = Header(response, "X-Linked-Size") is { } linked && long.TryParse(linked, out long n) ? n
                    : response.StatusCode == System.Net.HttpStatusCode.OK ? response.Content.Headers.ContentLength : null;
                string? sha256 = file.Sha256 ?? (Header(response, "X-Linked-Etag")?.Trim('"', ' ') is { Length: 64 } etag && etag.All(char.IsAsciiHexDigit)
                    ? etag.ToLowerInvariant() : null);
                plan[i] = (file with { Size = size, Sha256 = sha256 }, plan[i].Destination);
            }
            catch (HubException e) when (e.Error is HubError.Unavailable or HubError.Invalid)
            {
                // no metadata: the GET will tell
            }
        }
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    static void CheckFreeSpace(string models, List<(RemoteFile File, string Destination)> plan)
    {
        long needed = plan.Sum(p => Math.Max(0, (p.File.Size ?? 0) - OnDisk(p.Destination)));
        long free = new DriveInfo(models).AvailableFreeSpace;
        if (needed > free)
            throw new IOException($"not enough free disk space in {models}: the download needs {DownloadProgress.Bytes(needed)} more, {DownloadProgress.Bytes(free)} are free");
    }

    static long OnDisk(string destination) =>
        File.Exists(destination) ? new FileInfo(destination).Length
        : File.Exists(destination + FileFetcher.PartialSuffix) ? new FileInfo(destination + FileFetcher.PartialSuffix).Length : 0;

    /// <summary>One pull per staging folder at a time (the studio and the CLI may both try): a lock file beside it.</summary>
    static FileStream Claim(string staging)
    {
        try
        {
            return new FileStream(staging + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException)
        {
            throw new InvalidOperationException($"{Path.GetFileName(staging)} is already being downloaded by another process or job");
        }
    }

    /// <summary>Partial files are only continued for the same repository and revision; anything else starts clean.</summary>
    static void DiscardIfFromElsewhere(string staging, string identity)
    {
        string record = SourceRecord(staging);
        if (File.Exists(record) && File.ReadAllText(record) != identity) Discard(staging);
    }

    static string SourceRecord(string staging) => staging + ".source.json";

    static void TryRemoveEmpty(string folder)
    {
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
    }

    /// <summary>Counts bytes and turns them into <see cref="DownloadProgress"/> a few times a second.</summary>
    sealed class Meter
    {
        readonly string repoId;
        readonly long? total;
        readonly int files;
        readonly IProgress<DownloadProgress>? progress;
        readonly Stopwatch clock = Stopwatch.StartNew();
        TimeSpan lastReport = TimeSpan.MinValue;
        long done;
        int finished;
        string? current;

        public long Transferred { get; private set; }

        public Meter(string repoId, List<(RemoteFile File, string Destination)> plan, IProgress<DownloadProgress>? progress)
        {
            this.repoId = repoId;
            this.progress = progress;
            files = plan.Count;
            total = plan.All(p => p.File.Size is not null) ? plan.Sum(p => p.File.Size!.Value) : null;
            done = plan.Sum(p => OnDisk(p.Destination));
        }

        public void Start(string file)
        {
            current = file;
            Report(force: true);
        }

        public void Finish()
        {
            finished++;
            current = null;
        }

        public void Add(long bytes)
        {
            done += bytes;
            if (bytes > 0) Transferred += bytes;
            Report(force: false);
        }

        public void Report(bool force)
        {
            if (progress is null || (!force && clock.Elapsed - lastReport < ReportInterval)) return;
            lastReport = clock.Elapsed;
            double speed = clock.Elapsed.TotalSeconds > 0.05 ? Transferred / clock.Elapsed.TotalSeconds : 0;
            TimeSpan? left = total is { } t && speed > 0 ? TimeSpan.FromSeconds(Math.Max(0, t - done) / speed) : null;
            progress.Report(new(repoId, done, total, speed, left, current, finished, files));
        }
    }
}
