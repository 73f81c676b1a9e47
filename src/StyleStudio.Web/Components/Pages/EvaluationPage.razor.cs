using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation.Scoring;
using StyleStudio.Serving;
using StyleStudio.Training.Templates;
using StyleStudio.Web.Evaluations;
using StyleStudio.Web.Components.Shared;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Starts evaluations (a model's rewrites of a dataset's first rows, or uploaded rewrites) as jobs and lists them;
/// select two or more finished ones to compare. The page keeps only its form state.
/// </summary>
public partial class EvaluationPage
{
    const long MaximumPredictionsBytes = 50 * 1024 * 1024;

    [Inject] DataStore Store { get; set; } = null!;
    [Inject] GenerationService Generation { get; set; } = null!;
    [Inject] EvaluationRuns Runs { get; set; } = null!;
    [Inject] EvaluationEvents Events { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<EvaluationPage> L { get; set; } = null!;

    /// <summary>The model to evaluate, e.g. <c>run-3</c> from a run's page (<c>?model=</c>); else the first one.</summary>
    [SupplyParameterFromQuery(Name = "model")] public string? Model { get; set; }

    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ServableModel> models = [];
    IReadOnlyList<EvaluationRecord> evaluations = [];
    readonly HashSet<int> selected = [];
    /// <summary>What went wrong (a translated lead-in) and the lower layer's own words for it.</summary>
    string? errorLead, error;
    string? dataset, model, predictionsFile, judgeEndpoint, judgeModel, judgeKey, judgeStyle;
    IReadOnlyList<string>? predictions;
    string template = PromptTemplates.Qwen.Name;
    int limit = 50, maxNewTokens = 128;
    IDisposable? subscription;

    RenderFragment Plan => builder =>
    {
        if (predictions is null)
        {
            builder.AddContent(0, L["rewrites the first {0} rows greedily, up to {1} new tokens each", limit.ToString("N0"), maxNewTokens.ToString("N0")]);
            return;
        }
        builder.AddContent(1, L["scores the {0} uploaded lines against the first {0} rows", predictions.Count.ToString("N0")]);
        if (model is not null) builder.AddContent(2, Sentence.Compose(L["; {0}'s base judges fluency"], Sentence.Untranslated(model)));
    };

    string CompareHref => $"evaluation/compare?ids={string.Join(',', selected.Order())}";

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Generation.Models().Where(m => m.Problem is null).ToList();
        dataset = datasets.FirstOrDefault()?.Name;
        ChooseModel(models.FirstOrDefault(m => m.Id == Model)?.Id ?? models.FirstOrDefault()?.Id);
        evaluations = Runs.All();
        subscription = Events.Subscribe(_ => InvokeAsync(() => { evaluations = Runs.All(); StateHasChanged(); }));
    }

    void ChooseModel(string? id)
    {
        model = id;
        if (models.FirstOrDefault(m => m.Id == id)?.Template is { } trained) template = trained;   // as it was trained
    }

    void Select(int id, bool on)
    {
        if (on) selected.Add(id);
        else selected.Remove(id);
    }

    async Task ChoosePredictions(IBrowserFile? file)
    {
        error = null;
        if (file is null) return;
        // Through a file so that the CLI's reader (UTF-8 checked, lines as sacreBLEU reads them) reads it.
        var path = Path.Combine(Path.GetTempPath(), $"stylestudio-predictions-{Guid.NewGuid():N}.txt");
        try
        {
            await using (var target = File.Create(path))
            await using (var source = file.OpenReadStream(MaximumPredictionsBytes))
                await source.CopyToAsync(target);
            predictions = LineFile.Read(path);
            predictionsFile = file.Name;
            limit = predictions.Count;
        }
        catch (Exception e) when (e is LineFileException or IOException)
        {
            (errorLead, error) = (L["The predictions file cannot be read:"], e.Message.Replace(path, file.Name));
            (predictions, predictionsFile) = (null, null);
        }
        finally
        {
            File.Delete(path);
        }
    }

    void Start()
    {
        error = null;
        try
        {
            // The judge runs when an endpoint is given; its key stays in memory.
            var judge = string.IsNullOrWhiteSpace(judgeEndpoint) ? null
                : new EvaluationJudge(judgeEndpoint.Trim(), judgeModel?.Trim() ?? "", judgeStyle?.Trim() ?? "");
            var record = Runs.Start(new EvaluationSettings(dataset!, model, template, predictions?.Count ?? limit, maxNewTokens,
                predictionsFile, predictions, judge), judgeKey);
            Navigation.NavigateTo($"evaluation/{record.Id}");
        }
        catch (ArgumentException e)
        {
            (errorLead, error) = (L["The evaluation cannot start:"], e.Message);
        }
    }

    public void Dispose() => subscription?.Dispose();
}
