using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Corpora;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Pairs;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Corpora of unpaired texts: upload a file (to a scratch copy), name it, label its style, choose how to split it and
/// import it with progress; then the list, a corpus's first texts, its style label and deletion (after a confirmation).
/// </summary>
public partial class CorporaPage : IDisposable
{
    const string Detect = "";
    static readonly string Paragraphs = CorpusSegmentation.Paragraphs.Name();
    const int PageSize = 20;
    /// <summary>Uploads beyond this are refused by the browser stream (Blazor's default is 500 KB).</summary>
    const long MaximumUpload = 4L << 30;
    static readonly IReadOnlyList<string> Encodings = TextEncodings.Names;

    [Inject] CorpusImports Corpora { get; set; } = null!;
    [Inject] IDialogService Dialogs { get; set; } = null!;
    [Inject] IStringLocalizer<CorporaPage> L { get; set; } = null!;

    IReadOnlyList<CorpusRecord> corpora = [];
    PendingUpload? pending;
    string name = "", style = "", encoding = Detect, newStyle = "";
    /// <summary>One of <see cref="CorpusSegmentations.Names"/> (a string select: MudSelect compares its items' values as text).</summary>
    string segmentation = Paragraphs;
    bool busy;
    ImportProgress? progress;
    Failure? error;
    CorpusRecord? imported, open;
    IReadOnlyList<string> texts = [];
    int textPage;
    /// <summary>Cancels the import under way when the page goes away.</summary>
    CancellationTokenSource? importing;

    string ProgressText => progress switch
    {
        { Phase: ImportPhase.Uploading, Total: { } total } p => L["Uploading: {0} / {1} bytes", p.Done.ToString("N0"), total.ToString("N0")],
        { Phase: ImportPhase.Uploading } p => L["Uploading: {0} bytes", p.Done.ToString("N0")],
        { } p => L["Storing texts: {0}", p.Done.ToString("N0")],
        null => "",
    };

    double Percent => progress is { Total: > 0 } p ? 100.0 * p.Done / p.Total.Value : 0;

    /// <summary>A stored segmentation's name in the page's language.</summary>
    string SegmentationName(string name) => name switch
    {
        "sentences" => L["sentences"],
        "lines" => L["lines"],
        "paragraphs" => L["paragraphs"],
        _ => name,
    };

    /// <summary>A choice of the split select: lines say what they are.</summary>
    string SegmentationChoice(string name) => name == "lines" ? L["lines (each non-empty line of a text file)"] : SegmentationName(name);

    protected override void OnInitialized() => corpora = Corpora.All();

    async Task Choose(IBrowserFile? file)
    {
        if (file is null) return;
        Discard();
        (busy, error, imported) = (true, null, null);
        var report = new Progress<ImportProgress>(p => InvokeAsync(() => { progress = p; StateHasChanged(); }));
        try
        {
            await using var stream = file.OpenReadStream(MaximumUpload);
            pending = await Corpora.ReceiveAsync(stream, file.Name, file.Size, report, CancellationToken.None);
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
    }

    async Task Import()
    {
        if (pending is null || busy) return;
        (busy, error, imported) = (true, null, null);
        importing = new CancellationTokenSource();
        var report = new Progress<ImportProgress>(p => InvokeAsync(() => { progress = p; StateHasChanged(); }));
        try
        {
            var options = new CorpusImportOptions(name.Trim(), style, CorpusSegmentations.Parse(segmentation), encoding == Detect ? null : encoding);
            imported = await Corpora.ImportAsync(pending, options, report, importing.Token);
            Reset();
            corpora = Corpora.All();
        }
        catch (OperationCanceledException) when (importing.IsCancellationRequested)
        {
            error = new(L["Import cancelled; nothing was stored."]);
        }
        catch (Exception e) when (e is CorpusFileException or SourceFormatException or ArgumentException or IOException)
        {
            error = new(L["This file gives no corpus:"], e.Message);
        }
        finally
        {
            busy = false;
            importing.Dispose();
            importing = null;
        }
    }

    void Open(CorpusRecord corpus)
    {
        try
        {
            texts = Corpora.FirstTexts(corpus.Name);
            (open, newStyle, textPage, error) = (corpus, corpus.Style, 0, null);
        }
        catch (ArgumentException e)
        {
            (error, open, texts) = (new(L["Not done:"], e.Message), null, []);
            corpora = Corpora.All();
        }
    }

    void SaveStyle()
    {
        if (open is null) return;
        try
        {
            open = Corpora.SetStyle(open.Name, newStyle ?? "");
        }
        catch (ArgumentException e)   // deleted meanwhile (another tab, the CLI)
        {
            (error, open, texts) = (new(L["Not done:"], e.Message), null, []);
        }
        corpora = Corpora.All();
    }

    async Task Delete(CorpusRecord corpus)
    {
        bool? confirmed = await Dialogs.ShowMessageBoxAsync(L["Delete corpus"],
            L["Delete the corpus '{0}' and its {1} texts? This cannot be undone.", corpus.Name, corpus.Texts.ToString("N0")],
            yesText: L["Delete"], cancelText: L["Keep it"]);
        if (confirmed != true) return;
        try
        {
            Corpora.Delete(corpus.Name);
        }
        catch (ArgumentException e)   // already gone: the list below shows what there is
        {
            error = new(L["Not done:"], e.Message);
        }
        if (open?.Name == corpus.Name) (open, texts) = (null, []);
        corpora = Corpora.All();
    }

    /// <summary>During an import, stops it (nothing is stored); otherwise drops the upload.</summary>
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

    void Discard()
    {
        pending?.Dispose();
        Reset();
    }

    void Reset()
    {
        pending = null;
        (name, style, encoding, segmentation) = ("", "", Detect, Paragraphs);
    }

    /// <summary>What went wrong: a translated lead-in, and the lower layers' own (English) message when there is one.</summary>
    sealed record Failure(string Lead, string? Detail = null);

    public void Dispose()
    {
        importing?.Cancel();
        pending?.Dispose();
    }
}
