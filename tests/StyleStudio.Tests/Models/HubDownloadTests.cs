using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Models;

/// <summary>Downloads from <see cref="LocalHub"/>, a real HTTP server speaking the hubs' protocols from the fixture checkpoints.</summary>
public sealed class HubDownloadTests : IAsyncLifetime
{
    readonly LocalHub hub = new();
    readonly string root = Directory.CreateTempSubdirectory("hub-download-").FullName;
    readonly HttpClient client = HubHttp.CreateClient();

    string ModelsFolder => Path.Combine(root, "models");
    CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        hub.Add("acme/tiny-qwen", new(Fixtures.Model("qwen2")));
        hub.Add("acme/tiny-sharded", new(Fixtures.Model("qwen2-bf16-sharded")));
        hub.Add("acme/gated-llama", new(Fixtures.Model("llama3"), Gated: true));
        return ValueTask.CompletedTask;
    }

    ModelDownloader Downloader(string? token = null) =>
        new(client, new HubOptions(hub.Endpoint.ToString(), hub.Endpoint.ToString(), token));

    Task<PullResult> PullAsync(string repoId, string? token = null, string? revision = null, HubSource source = HubSource.HuggingFace,
        IProgress<DownloadProgress>? progress = null) =>
        Downloader(token).PullAsync(new PullRequest(repoId, source, revision, ModelsFolder), progress, Cancel);

    static readonly string[] ModelFileNames = ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"];

    static void AssertSameFiles(string source, string landed, IEnumerable<string> names)
    {
        foreach (var name in names)
            Assert.True(File.ReadAllBytes(Path.Combine(source, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(landed, name))), $"{name} differs");
    }

    [Fact]
    public async Task A_sharded_model_lands_byte_for_byte_with_only_the_files_it_needs()
    {
        var reports = new List<DownloadProgress>();
        var result = await PullAsync("acme/tiny-sharded", progress: new SyncProgress<DownloadProgress>(reports.Add));

        string source = Fixtures.Model("qwen2-bf16-sharded");
        string[] expected = [.. ModelFileNames, "model.safetensors.index.json", .. Enumerable.Range(1, 5).Select(i => $"model-0000{i}-of-00005.safetensors")];
        Assert.Equal(Path.Combine(ModelsFolder, "tiny-sharded"), result.Path);
        Assert.Equal(expected.Order(), result.Files.Select(f => f.Path).Order());
        Assert.Equal(expected.Order(), Directory.EnumerateFiles(result.Path).Select(Path.GetFileName).Order());
        AssertSameFiles(source, result.Path, expected);
        Assert.Equal(expected.Sum(f => new FileInfo(Path.Combine(source, f)).Length), result.Bytes);
        Assert.False(Directory.Exists(Path.Combine(ModelsFolder, ModelDownloader.StagingFolder)), "the staging folder is gone");
        var last = reports[^1];
        Assert.Equal(result.Bytes, last.BytesDone);
        Assert.Equal(result.Bytes, last.BytesTotal);
        Assert.Equal(expected.Length, last.FilesTotal);
    }

    [Fact]
    public async Task A_dropped_connection_resumes_with_a_range_request_instead_of_starting_over()
    {
        long size = new FileInfo(Path.Combine(Fixtures.Model("qwen2"), "model.safetensors")).Length;
        hub.DropAfter("acme/tiny-qwen", "model.safetensors", 100_000);

        var result = await PullAsync("acme/tiny-qwen");

        var ranges = hub.Requests.Where(r => r.Path.EndsWith("/model.safetensors") && r.Host == "localhost").Select(r => r.Range).ToList();
        Assert.Equal([null, "bytes=100000-"], ranges);
        Assert.True(hub.Served("acme/tiny-qwen", "model.safetensors") < 2 * size);
        Assert.Equal(size, hub.Served("acme/tiny-qwen", "model.safetensors"));
        AssertSameFiles(Fixtures.Model("qwen2"), result.Path, [.. ModelFileNames, "model.safetensors"]);
    }

    [Fact]
    public async Task An_interrupted_pull_keeps_its_bytes_out_of_sight_and_the_next_pull_continues_from_them()
    {
        hub.DropAfter("acme/tiny-qwen", "model.safetensors", 20_000, times: 5);   // every attempt of the first pull breaks off

        var failure = await Assert.ThrowsAsync<IOException>(() => PullAsync("acme/tiny-qwen"));
        Assert.Contains("model.safetensors", failure.Message);
        Assert.False(Directory.Exists(Path.Combine(ModelsFolder, "tiny-qwen")), "a half-downloaded model must not appear");
        string partial = Path.Combine(ModelDownloader.StagingPath(ModelsFolder, "tiny-qwen"), "model.safetensors" + ModelDownloader.PartialSuffix);
        Assert.Equal(5 * 20_000, new FileInfo(partial).Length);   // each attempt continued where the previous one broke off
        Assert.DoesNotContain(new StyleStudio.Models.Local.LocalModels(ModelsFolder).Entries(), e => e.Name.StartsWith('.'));

        var result = await PullAsync("acme/tiny-qwen");
        Assert.Equal("bytes=100000-", hub.Requests.Last(r => r.Path.EndsWith("/model.safetensors")).Range);
        AssertSameFiles(Fixtures.Model("qwen2"), result.Path, [.. ModelFileNames, "model.safetensors"]);
        Assert.True(result.BytesTransferred < result.Bytes, "the second pull fetched only what was missing");
    }

    [Fact]
    public async Task A_wrong_checksum_is_rejected_with_the_file_named_and_nothing_left_behind()
    {
        hub.Add("acme/liar", new(Fixtures.Model("qwen2"), WrongShaFor: "model.safetensors"));

        var failure = await Assert.ThrowsAsync<ChecksumMismatchException>(() => PullAsync("acme/liar"));

        Assert.Contains("model.safetensors", failure.Message);
        Assert.Contains("sha256", failure.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(ModelsFolder));
    }

    [Fact]
    public async Task Names_in_a_listing_that_escape_the_model_folder_write_nothing_outside_it()
    {
        hub.Add("acme/evil", new(Fixtures.Model("qwen2"), ExtraNames: ["../evil.json", "/etc/x", "a/../../b", "..\\evil.safetensors", "../config.json", "../../x.safetensors"]));
        Directory.CreateDirectory(ModelsFolder);
        File.WriteAllText(Path.Combine(root, "b"), "a neighbour of the models folder");
        string Snapshot() => string.Join('\n', Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(ModelsFolder + Path.DirectorySeparatorChar)).Order());
        string before = Snapshot();

        var result = await PullAsync("acme/evil");

        Assert.Equal(before, Snapshot());
        Assert.Equal([Path.Combine(ModelsFolder, "evil")], Directory.EnumerateFileSystemEntries(ModelsFolder));
        Assert.All(Directory.EnumerateFileSystemEntries(result.Path, "*", SearchOption.AllDirectories),
            p => Assert.StartsWith(result.Path + Path.DirectorySeparatorChar, p));
        Assert.Contains("../evil.json", result.SkippedNames);
        Assert.Contains("/etc/x", result.SkippedNames);
        Assert.Contains("a/../../b", result.SkippedNames);
        Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("..") || r.Path.Contains("%2E", StringComparison.OrdinalIgnoreCase) || r.Path.Contains("etc"));
    }

    [Fact]
    public async Task A_gated_repository_asks_for_a_token_and_the_token_never_reaches_the_cdn()
    {
        var refused = await Assert.ThrowsAsync<HubException>(() => PullAsync("acme/gated-llama"));
        Assert.Equal(HubError.Gated, refused.Error);
        Assert.Contains("gated", refused.Message);
        Assert.Contains("token", refused.Message);

        var result = await PullAsync("acme/gated-llama", token: hub.Token);

        AssertSameFiles(Fixtures.Model("llama3"), result.Path, [.. ModelFileNames, "model.safetensors"]);
        var cdn = hub.Requests.Where(r => r.Host == "localhost").ToList();
        Assert.NotEmpty(cdn);
        Assert.All(cdn, r => Assert.Null(r.Authorization));
        Assert.All(hub.Requests.Where(r => r.Host == "127.0.0.1" && r.Status < 400), r => Assert.Equal($"Bearer {hub.Token}", r.Authorization));
    }

    [Fact]
    public async Task Missing_repositories_and_revisions_have_their_own_messages()
    {
        var anonymous = await Assert.ThrowsAsync<HubException>(() => PullAsync("acme/nothing-here"));
        Assert.Equal((HubError.RepositoryNotFound, 401), (anonymous.Error, anonymous.Status));
        Assert.Contains("repository not found", anonymous.Message);

        var withToken = await Assert.ThrowsAsync<HubException>(() => PullAsync("acme/nothing-here", token: "hf_other"));
        Assert.Equal((HubError.RepositoryNotFound, 404), (withToken.Error, withToken.Status));

        var revision = await Assert.ThrowsAsync<HubException>(() => PullAsync("acme/tiny-qwen", revision: "v9"));
        Assert.Equal(HubError.RevisionNotFound, revision.Error);
        Assert.Contains("revision not found", revision.Message);
        Assert.False(Directory.Exists(Path.Combine(ModelsFolder, ModelDownloader.StagingFolder)));
    }

    [Fact]
    public async Task A_renamed_repository_is_followed_through_relative_redirects()
    {
        hub.Rename("old-acme/tiny-qwen", "acme/tiny-qwen");

        var result = await PullAsync("old-acme/tiny-qwen");

        Assert.Equal(Path.Combine(ModelsFolder, "tiny-qwen"), result.Path);
        Assert.Contains(hub.Requests, r => r.Status == 307 && r.Path.StartsWith("/old-acme/tiny-qwen/resolve/"));
        AssertSameFiles(Fixtures.Model("qwen2"), result.Path, [.. ModelFileNames, "model.safetensors"]);
    }

    [Fact]
    public async Task ModelScope_serves_the_same_model_through_its_own_api()
    {
        var result = await PullAsync("acme/tiny-qwen", source: HubSource.ModelScope);

        Assert.Contains(hub.Requests, r => r.Path.StartsWith("/api/v1/models/acme/tiny-qwen/repo/files?Revision=master&Recursive=True"));
        Assert.Contains(hub.Requests, r => r.Path.StartsWith("/api/v1/models/acme/tiny-qwen/repo?Revision=master&FilePath=model.safetensors"));
        AssertSameFiles(Fixtures.Model("qwen2"), result.Path, [.. ModelFileNames, "model.safetensors"]);
        var missing = await Assert.ThrowsAsync<HubException>(() => PullAsync("acme/absent", source: HubSource.ModelScope));
        Assert.Equal(HubError.RepositoryNotFound, missing.Error);
    }

    [Fact]
    public async Task A_mirror_without_the_revision_api_is_listed_through_the_paged_tree_api()
    {
        hub.RevisionApi = false;

        var result = await PullAsync("acme/tiny-sharded");

        Assert.Contains(hub.Requests, r => r.Path.Contains("/tree/main?recursive=true&page=2"));
        Assert.Equal(10, result.Files.Count);   // 4 config and tokenizer files, the index and 5 shards
        AssertSameFiles(Fixtures.Model("qwen2-bf16-sharded"), result.Path, result.Files.Select(f => f.Path));
    }

    [Fact]
    public async Task A_model_larger_than_the_free_disk_space_is_refused_before_any_transfer()
    {
        hub.Add("acme/huge", new(Fixtures.Model("qwen2"), ClaimedFiles: new Dictionary<string, long> { ["model-00002-of-00002.safetensors"] = 1L << 60 }));

        var refused = await Assert.ThrowsAsync<IOException>(() => PullAsync("acme/huge"));

        Assert.Contains("not enough free disk space", refused.Message);
        Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("/resolve/"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(ModelsFolder));
    }

    [Fact]
    public async Task A_listing_of_names_only_is_completed_from_each_file_s_headers_and_still_verified()
    {
        hub.NamesOnly = true;
        hub.Add("acme/liar", new(Fixtures.Model("qwen2"), WrongShaFor: "model.safetensors"));

        var result = await PullAsync("acme/tiny-qwen");

        Assert.Contains(hub.Requests, r => r.Method == "HEAD" && r.Path == "/acme/tiny-qwen/resolve/main/model.safetensors" && r.Status == 302);
        Assert.DoesNotContain(hub.Requests, r => r.Method == "HEAD" && r.Host == "localhost");   // metadata stops at the CDN redirect
        AssertSameFiles(Fixtures.Model("qwen2"), result.Path, [.. ModelFileNames, "model.safetensors"]);
        // The sha256 came from X-Linked-Etag: a wrong one is caught.
        var failure = await Assert.ThrowsAsync<ChecksumMismatchException>(() => PullAsync("acme/liar"));
        Assert.Contains("model.safetensors", failure.Message);
    }

    [Fact]
    public async Task A_model_already_present_is_not_overwritten()
    {
        await PullAsync("acme/tiny-qwen");
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => PullAsync("acme/tiny-qwen"));
        Assert.Contains("already exists", again.Message);
    }

    [Theory]
    [InlineData("config.json", true)]
    [InlineData("model-00001-of-00002.safetensors", true)]
    [InlineData("model.safetensors.index.json", true)]
    [InlineData("tokenizer.model", true)]
    [InlineData("pytorch_model.bin", false)]
    [InlineData("consolidated.safetensors", false)]
    [InlineData("original/model.safetensors", false)]
    [InlineData("model.gguf", false)]
    [InlineData("README.md", false)]
    public void Only_the_files_a_model_needs_are_fetched(string name, bool needed) => Assert.Equal(needed, ModelFiles.IsNeeded(name));

    [Theory]
    [InlineData("../evil.json")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("..\\evil")]
    [InlineData("./config.json")]
    [InlineData("C:x")]
    [InlineData("")]
    public void Unsafe_names_have_no_path(string name) => Assert.Null(ModelFiles.SafePath(root, name));

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await hub.DisposeAsync();
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Reports on the caller's thread (unlike <see cref="Progress{T}"/>), so the list is complete when the pull returns.</summary>
    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
