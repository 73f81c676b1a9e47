using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Import;
using StyleStudio.Data.Mapping;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// The dataset list and the import that adds to it, in two steps: choose a file (uploaded to a scratch copy), then the
/// mapping step over it; only Import stores the dataset. Leaving or cancelling deletes the scratch copy.
/// </summary>
public partial class Datasets : IDisposable
{
    const string Detect = "";
    const string Accepted = ".json,.jsonl,.csv,.tsv,.xlsx,.parquet";
    /// <summary>Uploads beyond this are refused by the browser stream (Blazor's default is 500 KB).</summary>
    const long MaximumUpload = 4L << 30;
    static readonly IReadOnlyList<string> Encodings = TextEncodings.Names;

    [Inject] DataStore Store { get; set; } = null!;
    [Inject] DatasetImports Imports { get; set; } = null!;
    [Inject] IStringLocalizer<Datasets> L { get; set; } = null!;

    IReadOnlyList<DatasetSummary> datasets = [];
    PendingUpload? pending;
    MappingPreview? preview;
    /// <summary>The user's mapping; null while the detected one applies.</summary>
    FieldMapping? chosen;
    bool confirmed, busy;
    /// <summary>Counts preview requests, so only the newest one's answer is shown.</summary>
    int previews;
    string name = "", style = "", encoding = Detect;
    ImportProgress? progress;
    Failure? error;
    ImportReport? lastReport;
    string? lastName;
    /// <summary>Cancels the import under way: the Cancel button, or the page going away.</summary>
    CancellationTokenSource? importing;

    string ProgressText => progress switch
    {
        { Phase: ImportPhase.Uploading, Total: { } total } p => L["Uploading: {0} / {1} bytes", p.Done.ToString("N0"), total.ToString("N0")],
        { Phase: ImportPhase.Uploading } p => L["Uploading: {0} bytes", p.Done.ToString("N0")],
        { } p => L["Importing rows: {0}", p.Done.ToString("N0")],
        null => "",
    };

    double Percent => progress is { Total: > 0 } p ? 100.0 * p.Done / p.Total.Value : 0;

    bool CanImport => preview is { Problem: null } && !NothingToImport && (confirmed || !preview.NeedsConfirmation) && !busy && name.Trim().Length > 0;

    /// <summary>The whole file was checked and every row would be rejected (or it has none).</summary>
    bool NothingToImport => preview is { WholeFile: true } && preview.Rejected == preview.Checked;

    protected override void OnInitialized() => datasets = Store.Datasets();

    ImportOptions Options => new(Encoding: encoding == Detect ? null : encoding, Style: style.Length > 0 ? style : null,
        Mapping: chosen is null ? null : chosen with { FixedStyle = null });

    async Task Choose(IBrowserFile? file)
    {
        if (file is null) return;
        Discard();
        (busy, error, lastReport) = (true, null, null);
        // Progress arrives on the upload's threads; rendering is marshalled to this circuit.
        var report = new Progress<ImportProgress>(p => InvokeAsync(() => { progress = p; StateHasChanged(); }));
        try
        {
            await using var stream = file.OpenReadStream(MaximumUpload);
            pending = await Imports.ReceiveAsync(stream, file.Name, file.Size, report, CancellationToken.None);
            name = Path.GetFileNameWithoutExtension(file.Name);
        }
        catch (Exception e) when (e is IOException or NotSupportedException)
        {
            error = new(L["Upload failed:"], e.Message);
        }
        finally
        {
            busy = false;
        }
        if (pending is not null) await Refresh();
    }

    /// <summary>Previews the pending file with the current choices; a file that cannot be read says so here, before any import.</summary>
    async Task Refresh()
    {
        if (pending is null) return;
        int asked = ++previews;
        busy = true;
        try
        {
            var result = await Imports.PreviewAsync(pending, Options);
            if (asked == previews) (preview, error) = (result, null);   // a later choice's preview wins, whichever finishes first
        }
        catch (Exception e) when (e is ArgumentException or SourceFormatException or MappingException or ImportLimitException
                                       or IOException or NotSupportedException)
        {
            if (asked == previews) (preview, error) = (null, new(L["This file cannot be imported:"], e.Message));
        }
        finally
        {
            if (asked == previews) busy = false;
        }
    }

    Task ChangeMapping(FieldMapping mapping)
    {
        chosen = mapping;
        return Refresh();
    }

    Task ChangeEncoding(string value)
    {
        (encoding, chosen) = (value, null);   // another encoding can read other column names
        return Refresh();
    }

    Task ChangeStyle(string value)
    {
        style = value ?? "";
        return Refresh();
    }

    async Task Import()
    {
        if (pending is null || !CanImport) return;
        (busy, error) = (true, null);
        importing = new CancellationTokenSource();
        var report = new Progress<ImportProgress>(p => InvokeAsync(() => { progress = p; StateHasChanged(); }));
        try
        {
            var (dataset, result) = await Imports.ImportAsync(pending, name.Trim(), Options, report, importing.Token);
            (lastReport, lastName) = (result, dataset.Name);
            Reset();
            datasets = Store.Datasets();
        }
        catch (OperationCanceledException) when (importing.IsCancellationRequested)
        {
            error = new(L["Import cancelled; nothing was stored."]);
        }
        catch (Exception e) when (e is ArgumentException or SourceFormatException or MappingException or NothingImportedException
                                       or ImportLimitException or IOException or NotSupportedException)
        {
            error = new(L["Import failed:"], e.Message);
        }
        finally
        {
            busy = false;
            importing.Dispose();
            importing = null;
        }
    }

    /// <summary>During an import, stops it (nothing is stored; the upload stays for another try); otherwise drops the upload.</summary>
    void Cancel()
    {
        if (importing is { } running)
        {
            running.Cancel();
            return;
        }
        Discard();
        error = null;
    }

    /// <summary>Drops the pending file (its scratch copy) and every choice made for it.</summary>
    void Discard()
    {
        pending?.Dispose();
        Reset();
    }

    void Reset()
    {
        (pending, preview, chosen, confirmed) = (null, null, null, false);
        (name, style, encoding) = ("", "", Detect);
    }

    /// <summary>What went wrong: a translated lead-in, and the lower layers' own (English) message when there is one.</summary>
    sealed record Failure(string Lead, string? Detail = null);

    /// <summary>The page is gone (navigated away, or its circuit closed): stop any import and delete the upload.</summary>
    public void Dispose()
    {
        importing?.Cancel();
        pending?.Dispose();
    }
}
