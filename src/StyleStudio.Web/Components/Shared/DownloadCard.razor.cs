using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Models.Download;
using StyleStudio.Web.Models;

namespace StyleStudio.Web.Components.Shared;

/// <summary>
/// A download as <see cref="ModelDownloads"/> last published it, worded in the reader's language: the job records which
/// note applies (it runs outside any page), this card says it. The hub's own messages stay English, after a lead-in.
/// </summary>
public partial class DownloadCard
{
    [Inject] IStringLocalizer<DownloadCard> L { get; set; } = null!;

    /// <summary>The download shown. Required.</summary>
    [Parameter, EditorRequired] public DownloadState Download { get; set; } = null!;

    /// <summary>Called when the user cancels the download. Defaults to none.</summary>
    [Parameter] public EventCallback OnCancel { get; set; }

    string StatusName => Download.Status switch
    {
        DownloadStatus.Queued => L["queued"],
        DownloadStatus.Downloading => L["downloading"],
        DownloadStatus.Completed => L["completed"],
        DownloadStatus.Failed => L["failed"],
        _ => L["cancelled"],
    };

    /// <summary>"12.3 / 942.0 MiB (1%) · 5.1 MiB/s · 3:02 left · file 2/5" (the file's name follows, untranslated).</summary>
    string ProgressLine(DownloadProgress p)
    {
        var parts = new List<string>
        {
            p.BytesTotal is { } total ? $"{DownloadProgress.Bytes(p.BytesDone)} / {DownloadProgress.Bytes(total)} ({p.Percent:F0}%)" : DownloadProgress.Bytes(p.BytesDone),
            $"{DownloadProgress.Bytes((long)p.BytesPerSecond)}/s",
        };
        if (p.Remaining is { } left) parts.Add(L["{0} left", $"{(int)left.TotalMinutes}:{left.Seconds:00}"]);
        parts.Add(L["file {0}/{1}", Math.Min(p.FilesDone + 1, p.FilesTotal), p.FilesTotal]);
        return string.Join(" · ", parts);
    }

    /// <summary>The line under the download: what the job last noted.</summary>
    RenderFragment? Note => Download.Note switch
    {
        DownloadNote.Queued => Sentence.Compose(L["waiting for a download worker"]),
        DownloadNote.ListingFiles => Sentence.Compose(L["listing files"]),
        DownloadNote.Landed when Download.Result is { } result => Sentence.Compose(L["{0} files, {1} in {2}"],
            result.Files.Count.ToString("N0"), DownloadProgress.Bytes(result.Bytes), Sentence.Untranslated(result.Path)),
        DownloadNote.Cancelled => Sentence.Compose(L["cancelled; the partial download was deleted"]),
        DownloadNote.CancelledBeforeStart => Sentence.Compose(L["cancelled before it started"]),
        DownloadNote.Interrupted => Sentence.Compose(L["interrupted: continues when the studio starts again"]),
        DownloadNote.ResumingAfterRestart => Sentence.Compose(L["interrupted by a restart; continuing"]),
        DownloadNote.Failed => Sentence.Compose(L["Download failed: {0}"], Sentence.Untranslated(Download.Detail)),
        _ => null,
    };
}
