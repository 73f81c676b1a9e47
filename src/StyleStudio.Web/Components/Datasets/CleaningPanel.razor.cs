using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Cleaning;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Datasets;

/// <summary>The cleaning steps of <c>stylestudio data clean</c> as a form; a run stores a new version.</summary>
public partial class CleaningPanel
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] ModelCatalog Models { get; set; } = null!;
    [Inject] IStringLocalizer<CleaningPanel> L { get; set; } = null!;

    /// <summary>The dataset to clean. Required.</summary>
    [Parameter, EditorRequired] public string DatasetName { get; set; } = "";

    /// <summary>Raised after a new version has been stored.</summary>
    [Parameter] public EventCallback Cleaned { get; set; }

    IReadOnlyList<ModelEntry> models = [];
    bool normalize = true, foldWidth, dedup = true, nearDedup, dropUnchanged, lengthFilter, vary;
    double nearThreshold = 0.85;
    int minOutputTokens = 1, maxTokens = 2048, seed = 42;
    string? model;
    bool running;
    string? error;
    IReadOnlyList<StepReport> reports = [];
    /// <summary>The translated name of each reported step (the store records its own English labels).</summary>
    IReadOnlyList<string> labels = [];

    protected override void OnInitialized()
    {
        models = Models.Models();
        model = models.FirstOrDefault()?.Name;
    }

    /// <summary>The ticked steps in the order they run, each with its name for the report.</summary>
    List<(CleaningStep Step, string Label)> Steps()
    {
        var steps = new List<(CleaningStep, string)>();
        if (normalize) steps.Add((new NormalizeText(), L["trim + NFC"]));
        if (foldWidth) steps.Add((new FoldWidth(), L["full-width letters/digits → half-width"]));
        if (dedup) steps.Add((new ExactDuplicates(), L["exact duplicates"]));
        if (nearDedup) steps.Add((new NearDuplicates(nearThreshold), L["near-duplicates ≥ {0}", nearThreshold.ToString("0.##")]));
        if (dropUnchanged) steps.Add((new DropUnchanged(), L["output equals input"]));
        if (lengthFilter && model is not null)
        {
            var tokenizer = Models.Tokenizer(model);
            steps.Add((new TokenLengthFilter(text => tokenizer.Encode(text).Length, minOutputTokens, maxTokens),
                L["length in tokens: answer ≥ {0}, prompt + answer ≤ {1}", minOutputTokens.ToString("N0"), maxTokens.ToString("N0")]));
        }
        if (vary) steps.Add((new VaryInstructions(seed), L["vary instructions (seed {0})", seed]));
        return steps;
    }

    async Task Run()
    {
        running = true;
        error = null;
        try
        {
            var steps = Steps();
            (_, reports) = await Task.Run(() => Store.Clean(DatasetName, steps.Select(s => s.Step).ToList()));
            labels = steps.Select(s => s.Label).ToList();
            await Cleaned.InvokeAsync();
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
        finally
        {
            running = false;
        }
    }
}
