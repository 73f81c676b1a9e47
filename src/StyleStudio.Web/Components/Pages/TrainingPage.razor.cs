using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Components.Pages;

/// <summary>How a run trains, as the form offers it; each maps onto finetuning_type, use_dora and quantization_bit.</summary>
public enum TrainingMethod { Lora, Dora, Qlora, Full, Freeze }

/// <summary>
/// The new-run form (LLaMA-Factory's settings and defaults): basics first, the rest under Advanced, presets that fill
/// it, LoRA targets from the chosen model's weights, and a live memory and time estimate; then the list of runs.
/// </summary>
public partial class TrainingPage
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] ModelCatalog Models { get; set; } = null!;
    [Inject] TrainingRuns Runs { get; set; } = null!;
    [Inject] TrainingEstimates Estimates { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] Microsoft.Extensions.Options.IOptions<StudioOptions> Options { get; set; } = null!;
    [Inject] ILogger<TrainingPage> Logger { get; set; } = null!;
    [Inject] IStringLocalizer<TrainingPage> L { get; set; } = null!;

    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ModelEntry> models = [];
    IReadOnlyList<RunRecord> runs = [];
    IReadOnlyList<TargetModule> targets = [];
    readonly TrainConfig settings = new();
    TrainingMethod trainingMethod = TrainingMethod.Lora;
    TrainingPreset? preset;
    string runName = "";
    string? dataset, model, error;

    bool UsesAdapters => Method is TrainingMethod.Lora or TrainingMethod.Dora or TrainingMethod.Qlora;

    /// <summary>The method; choosing one sets the settings it stands for at once, so the estimate follows.</summary>
    TrainingMethod Method
    {
        get => trainingMethod;
        set
        {
            trainingMethod = value;
            settings.FinetuningType = value switch { TrainingMethod.Full => "full", TrainingMethod.Freeze => "freeze", _ => "lora" };
            settings.UseDora = value == TrainingMethod.Dora;
            settings.QuantizationBit = value == TrainingMethod.Qlora ? 4 : null;
        }
    }

    /// <summary>Runs train on the cluster's workers, which the page lists.</summary>
    bool Clustered => Options.Value.Clustered;

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Models.Models();
        runs = Store.Runs.All();
        dataset = datasets.FirstOrDefault()?.Name;
        runName = $"run {runs.Count + 1}";
        if (models.Count > 0) ModelChanged(models[0].Name);
    }

    void DatasetChanged(string name) => dataset = name;

    void ModelChanged(string name)
    {
        model = name;
        try
        {
            targets = Estimates.Targets(name);
        }
        catch (Exception e) when (e is StyleStudio.Training.Checkpoints.ModelLoadException or IOException or ArgumentException)
        {
            targets = [];   // the estimate below says why
        }
    }

    void ApplyPreset(TrainingPreset chosen)
    {
        int? maxPositions = null;
        try
        {
            if (model is not null) maxPositions = Estimates.MaxPositions(model);
        }
        catch (Exception e) when (e is StyleStudio.Training.Checkpoints.ModelLoadException or IOException or ArgumentException)
        {
            // No clamp for a model whose config cannot be read; starting the run reports the problem.
        }
        TrainingPresets.Apply(chosen, settings, maxPositions);
        preset = chosen;
    }

    Variant PresetVariant(TrainingPreset candidate) => preset == candidate ? Variant.Filled : Variant.Outlined;

    string PresetNote(TrainingPreset chosen) => chosen switch
    {
        TrainingPreset.LlamaFactoryDefaults => L["LLaMA-Factory's board defaults: lr 5e-5, 3 epochs, batch 2 × 8, LoRA rank 8 on all linear layers."],
        TrainingPreset.QuickTry => L["A fast first look: one epoch of at most 30 steps on short rows."],
        _ => L["More epochs at rank 32, a tenth held out for validation, early stopping."],
    };

    string MethodName(TrainingMethod choice) => choice switch
    {
        TrainingMethod.Lora => "LoRA",
        TrainingMethod.Dora => "DoRA",
        TrainingMethod.Qlora => L["QLoRA (4-bit base)"],
        TrainingMethod.Full => L["Full fine-tuning"],
        _ => L["Freeze (last layers only)"],
    };

    /// <summary>The estimate for the form as it stands, or why there is none. The dataset's tokens are counted once.</summary>
    (RunForecast? Forecast, string? Error) Estimate()
    {
        if (dataset is null || model is null) return (null, null);
        try
        {
            return (Estimates.Forecast(dataset, model, settings.ToRequest()), null);
        }
        catch (Exception e) when (e is StyleStudio.Training.Checkpoints.ModelLoadException or IOException or ArgumentException)
        {
            return (null, e.Message);
        }
    }

    void Start()
    {
        Logger.LogDebug("Start training: {Name} on {Dataset} with {Model}", runName, dataset, model);
        if (UsesAdapters && string.IsNullOrWhiteSpace(settings.LoraTarget))
        {
            error = L["Choose at least one LoRA target."];
            return;
        }
        try
        {
            var run = Runs.Start(runName, dataset ?? "", model ?? "", settings.ToRequest());
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
