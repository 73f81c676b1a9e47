using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Pages;

/// <summary>The new-run form (LLaMA-Factory's settings, LLaMA-Factory's defaults) and the list of runs.</summary>
public partial class TrainingPage
{
    static readonly IReadOnlyList<string> Methods = ["LoRA", "DoRA", "QLoRA (4-bit base)", "Full", "Freeze"];

    [Inject] DataStore Store { get; set; } = null!;
    [Inject] ModelCatalog Models { get; set; } = null!;
    [Inject] TrainingRuns Runs { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] ILogger<TrainingPage> Logger { get; set; } = null!;

    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ModelEntry> models = [];
    IReadOnlyList<RunRecord> runs = [];
    readonly TrainConfig settings = new();
    string runName = "", method = "LoRA";
    string? dataset, model, error;

    bool UsesAdapters => method is not ("Full" or "Freeze");

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Models.Models();
        runs = Store.Runs.All();
        dataset = datasets.FirstOrDefault()?.Name;
        model = models.FirstOrDefault()?.Name;
        runName = $"run {runs.Count + 1}";
    }

    void Start()
    {
        settings.FinetuningType = method switch { "Full" => "full", "Freeze" => "freeze", _ => "lora" };
        settings.UseDora = method == "DoRA";
        settings.QuantizationBit = method.StartsWith("QLoRA", StringComparison.Ordinal) ? 4 : null;
        try
        {
            var run = Runs.Start(runName, dataset ?? "", model ?? "", settings);
            Navigation.NavigateTo($"runs/{run.Id}");
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
        catch (Exception e)
        {
            // Anything else (the job store unavailable, say) is shown too, instead of ending the page's connection.
            Logger.LogError(e, "starting a run failed");
            error = $"the run could not be queued: {e.Message}";
        }
    }
}
