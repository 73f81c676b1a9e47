using System.Collections.Concurrent;
using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Options;
using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;

namespace StyleStudio.Web.Models;

public enum DownloadStatus { Queued, Downloading, Completed, Failed, Cancelled }

/// <summary>A download as the Models page shows it.</summary>
public sealed record DownloadState(string Id, string RepoId, HubSource Source, string? Revision, DownloadStatus Status,
    DownloadProgress? Progress = null, string? Message = null)
{
    public string Name => RepoId.Split('/')[^1];
    public bool Active => Status is DownloadStatus.Queued or DownloadStatus.Downloading;
}

/// <summary>
/// Starting, cancelling and watching model downloads: each one is a Hangfire job on its own <see cref="DownloadJob.Queue"/>
/// (so it never waits behind training) and reports to the pages subscribed here — an in-process notifier, no polling.
/// Jobs are stored with the studio's queue, so a download interrupted by a restart runs again and continues from the
/// bytes in its staging folder. A token typed into the form stays in memory, never in the job store; a download resumed
/// after a restart uses the configured token (<see cref="StudioOptions.HubToken"/> / HF_TOKEN).
/// </summary>
public sealed class ModelDownloads(IBackgroundJobClient jobs, JobStorage storage, IOptions<StudioOptions> options)
{
    readonly ConcurrentDictionary<string, DownloadState> downloads = new();
    readonly ConcurrentDictionary<string, string> tokens = new();
    readonly ConcurrentDictionary<string, string> jobIds = new();
    readonly ConcurrentDictionary<string, bool> cancelRequested = new();
    readonly Lock subscribing = new();
    ImmutableHandlers handlers = new([]);

    sealed record ImmutableHandlers(IReadOnlyList<Action<DownloadState>> List);

    /// <summary>Downloads of this process, newest first.</summary>
    public IReadOnlyList<DownloadState> All() => downloads.Values.OrderByDescending(d => d.Id, StringComparer.Ordinal).ToList();

    /// <summary>Queues a download of <paramref name="repoId"/>; fails at once when the id is malformed or the model is already there.</summary>
    public DownloadState Start(string repoId, HubSource source, string? revision, string? token)
    {
        var request = new PullRequest(repoId, source, string.IsNullOrWhiteSpace(revision) ? null : revision.Trim(), options.Value.ResolvedModelsFolder);
        if (Directory.Exists(Path.Combine(request.ModelsFolder, request.Name)))
            throw new ArgumentException($"a model named '{request.Name}' is already in {request.ModelsFolder}");
        if (downloads.Values.Any(d => d.Active && d.Name == request.Name))
            throw new ArgumentException($"'{request.Name}' is already being downloaded");
        string id = $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid().ToString("N")[..6]}";
        if (!string.IsNullOrWhiteSpace(token)) tokens[id] = token.Trim();
        var state = new DownloadState(id, request.RepoId.Trim(), source, request.Revision, DownloadStatus.Queued, Message: "queued");
        Publish(state);
        Enqueue(id, state.RepoId, source, state.Revision);
        return state;
    }

    /// <summary>Stops a download; its staging folder is deleted (by the job when it is running, here when it is queued).</summary>
    public void Cancel(string id)
    {
        if (!downloads.TryGetValue(id, out var state) || !state.Active) return;
        cancelRequested[id] = true;
        if (jobIds.TryGetValue(id, out var jobId)) jobs.Delete(jobId);   // fires the job's cancellation token within a second
        if (state.Status == DownloadStatus.Queued) Finish(state, DownloadStatus.Cancelled, "cancelled before it started", discard: true);
    }

    /// <summary>
    /// Restarts downloads that the previous process left marked processing: stopped (Hangfire requeues those, but only
    /// after SQLite's 30-minute invisibility timeout if the process was killed). The old job is deleted so it cannot run
    /// twice; the new one, with the same download id, continues from the staging folder. Call before the Hangfire servers start.
    /// </summary>
    public void RecoverInterrupted()
    {
        foreach (var (jobId, processing) in storage.GetMonitoringApi().ProcessingJobs(0, 1000))
        {
            if (processing.Job?.Type != typeof(DownloadJob) || processing.Job.Args is not [string id, string repoId, HubSource source, var revision, ..]) continue;
            jobs.ChangeState(jobId, new DeletedState(), null);
            var state = new DownloadState(id, repoId, source, revision as string, DownloadStatus.Queued, Message: "interrupted by a restart; continuing");
            Publish(state);
            Enqueue(id, repoId, source, state.Revision);
        }
    }

    void Enqueue(string id, string repoId, HubSource source, string? revision) =>
        jobIds[id] = jobs.Enqueue<DownloadJob>(job => job.Execute(id, repoId, source, revision, CancellationToken.None));

    public IDisposable Subscribe(Action<DownloadState> handler)
    {
        lock (subscribing) handlers = new([.. handlers.List, handler]);
        return new Subscription(() => { lock (subscribing) handlers = new(handlers.List.Where(h => h != handler).ToList()); });
    }

    internal string? TokenFor(string id) => tokens.GetValueOrDefault(id);

    internal bool CancelRequested(string id) => cancelRequested.ContainsKey(id);

    internal void Publish(DownloadState state)
    {
        downloads[state.Id] = state;
        foreach (var handler in handlers.List) handler(state);
    }

    internal void Finish(DownloadState state, DownloadStatus status, string message, bool discard = false)
    {
        if (discard)
        {
            try
            {
                ModelDownloader.Discard(options.Value.ResolvedModelsFolder, state.Name);
            }
            catch (IOException)
            {
                // the job still holds the staging folder; it discards it itself when it sees the cancel
            }
        }
        tokens.TryRemove(state.Id, out _);
        Publish(state with { Status = status, Message = message });
    }

    sealed class Subscription(Action remove) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) remove();
        }
    }
}
