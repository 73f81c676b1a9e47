using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Annotation;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Web.Annotation;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Annotation projects with their progress, and the form that makes one (a model's drafts are written while the page is open, with progress);
/// <see cref="AnnotationQueues"/> does the work.
/// The list follows what annotators and reviewers do elsewhere as they do it.
/// </summary>
public partial class AnnotationProjects : IDisposable
{
    [Inject] AnnotationQueues Queues { get; set; } = null!;
    [Inject] AnnotationEvents Events { get; set; } = null!;
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] GenerationService Generation { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;
    [Inject] IStringLocalizer<AnnotationProjects> L { get; set; } = null!;

    AnnotationRequest request = new();
    IReadOnlyList<CorpusRecord> corpora = [];
    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<(AnnotationProject Project, AnnotationProgress Progress)> projects = [];
    IReadOnlyList<ServableModel> models = [];
    string? error;
    string progressText = "";
    bool busy;
    CancellationTokenSource? stop;
    IDisposable? subscription;

    protected override void OnInitialized()
    {
        corpora = Store.Corpora.All();
        datasets = Store.Datasets();
        models = Generation.Models().Where(m => m.Problem is null).ToList();
        request.Corpus = corpora.FirstOrDefault()?.Name;
        request.Dataset = datasets.FirstOrDefault()?.Name;
        if (corpora.Count == 0) request.SourceKind = datasets.Count > 0 ? AnnotationSourceKind.Dataset : AnnotationSourceKind.Pasted;
        Load();
        subscription = Events.Subscribe(_ => InvokeAsync(() => { Load(); StateHasChanged(); }));
    }

    void Load() => projects = Queues.All().Select(p => (p, Queues.Progress(p.Id))).ToList();

    async Task Create()
    {
        (busy, error, progressText) = (true, null, "");
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        try
        {
            var progress = new Progress<string>(text => InvokeAsync(() => { progressText = text; StateHasChanged(); }));
            await Queues.CreateAsync(request, progress, stop.Token);
            request = new AnnotationRequest { Corpus = request.Corpus, Dataset = request.Dataset, SourceKind = request.SourceKind, DraftModel = request.DraftModel };
            Load();
        }
        catch (OperationCanceledException)
        {
            error = L["Stopped."];
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or InvalidOperationException)
        {
            error = e.Message;
        }
        finally
        {
            busy = false;
            stop.Dispose();
            stop = null;
        }
    }

    public void Dispose()
    {
        subscription?.Dispose();
        stop?.Cancel();
    }
}
