using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Cleaning;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Datasets;

/// <summary>The cleaning steps of <c>stylestudio data clean</c> as a form; a run stores a new version.</summary>
public partial class CleaningPanel
{
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] ModelCatalog Models { get; set; } = null!;

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

    protected override void OnInitialized()
    {
        models = Models.Models();
        model = models.FirstOrDefault()?.Name;
    }

    List<CleaningStep> Steps()
    {
        var steps = new List<CleaningStep>();
        if (normalize) steps.Add(new NormalizeText());
        if (foldWidth) steps.Add(new FoldWidth());
        if (dedup) steps.Add(new ExactDuplicates());
        if (nearDedup) steps.Add(new NearDuplicates(nearThreshold));
        if (dropUnchanged) steps.Add(new DropUnchanged());
        if (lengthFilter && model is not null) steps.Add(new TokenLengthFilter(Models.Tokenizer(model), minOutputTokens, maxTokens));
        if (vary) steps.Add(new VaryInstructions(seed));
        return steps;
    }

    async Task Run()
    {
        running = true;
        error = null;
        try
        {
            var steps = Steps();
            (_, reports) = await Task.Run(() => Store.Clean(DatasetName, steps));
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
