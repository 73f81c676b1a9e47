using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Annotation;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Annotation;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Annotation projects with their progress, and the form that makes one; <see cref="AnnotationQueues"/> does the work.
/// The list follows what annotators and reviewers do elsewhere as they do it.
/// </summary>
public partial class AnnotationProjects : IDisposable
{
    [Inject] AnnotationQueues Queues { get; set; } = null!;
    [Inject] AnnotationEvents Events { get; set; } = null!;
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] IStringLocalizer<AnnotationProjects> L { get; set; } = null!;

    AnnotationRequest request = new();
    IReadOnlyList<CorpusRecord> corpora = [];
    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<(AnnotationProject Project, AnnotationProgress Progress)> projects = [];
    string? error;
    IDisposable? subscription;

    protected override void OnInitialized()
    {
        corpora = Store.Corpora.All();
        datasets = Store.Datasets();
        request.Corpus = corpora.FirstOrDefault()?.Name;
        request.Dataset = datasets.FirstOrDefault()?.Name;
        if (corpora.Count == 0) request.SourceKind = datasets.Count > 0 ? AnnotationSourceKind.Dataset : AnnotationSourceKind.Pasted;
        Load();
        subscription = Events.Subscribe(PageCulture.Keep<AnnotationUpdate>(_ => InvokeAsync(() => { Load(); StateHasChanged(); })));
    }

    void Load() => projects = Queues.All().Select(p => (p, Queues.Progress(p.Id))).ToList();

    void Create()
    {
        error = null;
        try
        {
            Queues.Create(request);
            request = new AnnotationRequest { Corpus = request.Corpus, Dataset = request.Dataset, SourceKind = request.SourceKind };
            Load();
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
    }

    public void Dispose() => subscription?.Dispose();
}
