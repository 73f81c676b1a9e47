using System.Collections.Concurrent;
using Hangfire;
using Hangfire.States;
using Microsoft.Extensions.Options;
using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Models;

public enum DownloadStatus { Queued, Downloading, Completed, Failed, Cancelled }

/// <summary>
/// What the Models page says about a download besides its progress. The job runs outside any page, so it records which
/// note applies and the page words it in its reader's language.
/// </summary>
public enum DownloadNote { None, Queued, ListingFiles, Landed, Cancelled, CancelledBeforeStart, Interrupted, ResumingAfterRestart, Failed }

/// <summary>A download as the Models page shows it.</summary>
/// <param name="Detail">For <see cref="DownloadNote.Failed"/>: the hub's or the downloader's message (English).</param>
/// <param name="Result">For <see cref="DownloadNote.Landed"/>: the model's folder and files.</param>
public sealed record DownloadState(string Id, string RepoId, HubSource Source, string? Revision, DownloadStatus Status,
    DownloadProgress? Progress = null, DownloadNote Note = DownloadNote.None, string? Detail = null, PullResult? Result = null)
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
            throw new DownloadConflictException(request.Name, request.ModelsFolder);
        if (downloads.Values.Any(d => d.Active && d.Name == request.Name))
            throw new DownloadConflictException(request.Name, null);
        string id = $"{DateTime.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid().ToString("N")[..6]}";
        if (!string.IsNullOrWhiteSpace(token)) tokens[id] = token.Trim();
        var state = new DownloadState(id, request.RepoId.Trim(), source, request.Revision, DownloadStatus.Queued, Note: DownloadNote.Queued);
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
        if (state.Status == DownloadStatus.Queued) Finish(state with { Status = DownloadStatus.Cancelled, Note = DownloadNote.CancelledBeforeStart }, discard: true);
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
            var state = new DownloadState(id, repoId, source, revision as string, DownloadStatus.Queued, Note: DownloadNote.ResumingAfterRestart);
            Publish(state);
            Enqueue(id, repoId, source, state.Revision);
        }
    }

    void Enqueue(string id, string repoId, HubSource source, string? revision) =>
        jobIds[id] = jobs.Enqueue<DownloadJob>(job => job.Execute(id, repoId, source, revision, CancellationToken.None));

    public IDisposable Subscribe(Action<DownloadState> handler)
    {
        handler = PageCulture.Keep(handler);   // runs in the subscriber's language, whoever publishes
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

    /// <summary>Publishes the download's last state (its status and note set by the caller) and forgets its token.</summary>
    internal void Finish(DownloadState state, bool discard = false)
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
        Publish(state);
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

/// <summary>A download refused at once: a model of that name is already in <see cref="ModelsFolder"/>, or (when that is
/// null) is already being downloaded. The page words it; the message is for logs and the CLI.</summary>
public sealed class DownloadConflictException(string name, string? modelsFolder) : ArgumentException(
    modelsFolder is null ? $"'{name}' is already being downloaded" : $"a model named '{name}' is already in {modelsFolder}")
{
    public string Name { get; } = name;

    public string? ModelsFolder { get; } = modelsFolder;
}
