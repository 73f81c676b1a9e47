using Hangfire;
using Microsoft.Extensions.Options;
using StyleStudio.Models.Download;
using StyleStudio.Models.Hubs;

namespace StyleStudio.Web.Models;

/// <summary>
/// A model download as a Hangfire job, on its own queue. Cancelled by the user: the staging folder is deleted. Stopped by
/// a shutdown: the job is rethrown so Hangfire runs it again after the restart, continuing from the bytes on disk.
/// </summary>
public sealed class DownloadJob(ModelDownloads downloads, ModelDownloader downloader, IOptions<StudioOptions> options, ILogger<DownloadJob> log)
{
    /// <summary>Downloads have their own workers: they never wait behind a training run.</summary>
    public const string Queue = "downloads";

    [Queue(Queue), AutomaticRetry(Attempts = 0)]
    public async Task Execute(string downloadId, string repoId, HubSource source, string? revision, CancellationToken cancellation)
    {
        var state = new DownloadState(downloadId, repoId, source, revision, DownloadStatus.Downloading, Note: DownloadNote.ListingFiles);
        downloads.Publish(state);
        var progress = new Reporter(downloads, state);
        try
        {
            var token = downloads.TokenFor(downloadId);
            var request = new PullRequest(repoId, source, revision, options.Value.ResolvedModelsFolder);
            var result = await downloader.WithToken(token).PullAsync(request, progress, cancellation);
            downloads.Finish(progress.Latest with { Status = DownloadStatus.Completed, Note = DownloadNote.Landed, Result = result });
        }
        catch (OperationCanceledException) when (downloads.CancelRequested(downloadId))
        {
            downloads.Finish(progress.Latest with { Status = DownloadStatus.Cancelled, Note = DownloadNote.Cancelled }, discard: true);
        }
        catch (OperationCanceledException)
        {
            downloads.Publish(progress.Latest with { Status = DownloadStatus.Queued, Note = DownloadNote.Interrupted });
            throw;   // Hangfire requeues the job
        }
        catch (Exception e) when (e is HubException or ChecksumMismatchException or IOException or InvalidOperationException or ArgumentException)
        {
            log.LogWarning("download of {Repo} failed: {Message}", repoId, e.Message);
            downloads.Finish(progress.Latest with { Status = DownloadStatus.Failed, Note = DownloadNote.Failed, Detail = e.Message });
        }
    }

    /// <summary>Forwards each progress report to the pages, synchronously (the downloader already reports a few times a second).</summary>
    sealed class Reporter(ModelDownloads downloads, DownloadState initial) : IProgress<DownloadProgress>
    {
        public DownloadState Latest { get; private set; } = initial;

        public void Report(DownloadProgress value)
        {
            Latest = Latest with { Progress = value, Note = DownloadNote.None };
            downloads.Publish(Latest);
        }
    }
}
