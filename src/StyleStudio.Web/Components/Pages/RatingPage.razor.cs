using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Rating;
using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Web.Rating;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Lists rating studies and makes new ones; the page keeps the form, <see cref="RatingStudies"/> does the work (model
/// outputs are written while the page is open, with progress, as on the evaluation page).
/// </summary>
public partial class RatingPage
{
    /// <summary>A predictions file this size holds far more lines than a study has items.</summary>
    const long MaximumPredictions = 32L << 20;

    [Inject] RatingStudies Studies { get; set; } = null!;
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] GenerationService Generation { get; set; } = null!;
    [Inject] IHostApplicationLifetime Lifetime { get; set; } = null!;
    [Inject] IStringLocalizer<RatingPage> L { get; set; } = null!;

    /// <summary>One system's part of the form.</summary>
    sealed class SystemForm(int number)
    {
        public int Number { get; } = number;
        public bool FromFile { get; set; }
        public string? ModelId { get; set; }
        public PredictionsSystem? File { get; set; }
    }

    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ServableModel> models = [];
    IReadOnlyList<RatingStudy> studies = [];
    readonly SystemForm[] systems = [new(1), new(2)];
    string name = "", progressText = "";
    /// <summary>What went wrong, in the page's language, and the lower layer's own words for it (shown untranslated).</summary>
    string? errorLead, error;
    string? dataset;
    int rows = 50, maxNewTokens = 128;
    bool busy;
    CancellationTokenSource? stop;

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Generation.Models().Where(m => m.Problem is null).ToList();
        studies = Studies.All();
        dataset = datasets.FirstOrDefault()?.Name;
        if (datasets.Count > 0) rows = (int)Math.Min(rows, datasets[0].Rows);
        foreach (var system in systems)
        {
            system.FromFile = models.Count == 0;
            system.ModelId = models.ElementAtOrDefault(system.Number - 1)?.Id ?? models.FirstOrDefault()?.Id;
        }
    }

    async Task Upload(SystemForm system, IBrowserFile? file)
    {
        if (file is null) return;
        (errorLead, error) = (null, null);
        if (file.Size > MaximumPredictions)
        {
            system.File = null;
            errorLead = L["{0} is {1} bytes; a predictions file may be at most {2}.", file.Name, file.Size.ToString("N0"), MaximumPredictions.ToString("N0")];
            return;
        }
        try
        {
            using var buffer = new MemoryStream();
            await using (var stream = file.OpenReadStream(MaximumPredictions)) await stream.CopyToAsync(buffer);
            system.File = PredictionsFile.Read(file.Name, buffer.ToArray());
        }
        catch (ArgumentException e)
        {
            (system.File, errorLead, error) = (null, L["The predictions file cannot be read:"], e.Message);
        }
    }

    async Task Create()
    {
        (busy, errorLead, error, progressText) = (true, null, null, "");
        stop = CancellationTokenSource.CreateLinkedTokenSource(Lifetime.ApplicationStopping);
        try
        {
            var request = new StudyRequest(name, dataset!, rows, System(systems[0]), System(systems[1]));
            var progress = new Progress<string>(text => InvokeAsync(() => { progressText = text; StateHasChanged(); }));
            await Studies.CreateAsync(request, progress, stop.Token);
            studies = Studies.All();
            name = "";
        }
        catch (OperationCanceledException)
        {
            errorLead = L["Stopped."];
        }
        catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or InvalidOperationException)
        {
            (errorLead, error) = (L["The study cannot be made:"], e.Message);
        }
        finally
        {
            busy = false;
            stop.Dispose();
            stop = null;
        }
    }

    StudySystem System(SystemForm form) => form.FromFile
        ? form.File ?? throw new ArgumentException(L["system {0}: upload a predictions file (one output per line)", form.Number])
        : new ModelSystem(form.ModelId ?? throw new ArgumentException(L["system {0}: choose a model", form.Number]), maxNewTokens);

    public void Dispose() => stop?.Cancel();
}
