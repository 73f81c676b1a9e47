using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Trainer;
using StyleStudio.Web.Services;
using StyleStudio.Web.Styles;

namespace StyleStudio.Web.Components.Pages;

/// <summary>Styles as first-class objects: define or find them, choose each one's adapter, train each style, compare layouts.</summary>
public partial class StylesPage
{
    [Inject] StyleCatalog Catalog { get; set; } = null!;
    [Inject] DataStore Store { get; set; } = null!;
    [Inject] ModelCatalog Models { get; set; } = null!;
    [Inject] IStringLocalizer<StylesPage> L { get; set; } = null!;

    IReadOnlyList<StyleView> styles = [];
    IReadOnlyList<DatasetSummary> datasets = [];
    IReadOnlyList<ModelEntry> models = [];
    IReadOnlyList<RunRecord> queued = [];
    StyleForm? editing;
    string? error, notice, findDataset, trainDataset, trainModel, comparison;
    bool perStyle = true, multiTask = true;
    int compareRows = 20;
    readonly TrainConfig trainSettings = new();

    /// <summary>The form's fields; presets flattened so that the numeric fields can bind to them.</summary>
    sealed class StyleForm
    {
        public int? Id;
        public string Name = "", Description = "", Instruction = "", Label = "";
        public string? Dataset;
        public double Temperature = 0.7, TopP = 0.9, Strength = 1.0;
        public int MaxNewTokens = 256;
    }

    IEnumerable<string> StyledDatasets => styles.Select(s => s.Style.Dataset).OfType<string>().Distinct();

    protected override void OnInitialized()
    {
        datasets = Store.Datasets();
        models = Models.Models();
        findDataset = datasets.FirstOrDefault()?.Name;
        trainModel = models.FirstOrDefault()?.Name;
        Reload();
    }

    void Reload()
    {
        styles = Catalog.All();
        trainDataset ??= StyledDatasets.FirstOrDefault();
    }

    string LayoutName(StyleLayout layout) => layout switch
    {
        StyleLayout.PerStyle => L["per-style run"],
        StyleLayout.MultiTask => L["multi-task run"],
        _ => L["adapter folder"],
    };

    void NewStyle() => (editing, error, notice) = (new StyleForm { Dataset = datasets.FirstOrDefault()?.Name }, null, null);

    void Edit(StyleRecord style) => (editing, error, notice) = (new StyleForm
    {
        Id = style.Id, Name = style.Name, Description = style.Description, Instruction = style.Instruction, Dataset = style.Dataset,
        Label = style.Label == style.Name ? "" : style.Label, Temperature = style.Presets.Temperature, TopP = style.Presets.TopP,
        MaxNewTokens = style.Presets.MaxNewTokens, Strength = style.Presets.Strength,
    }, null, null);

    void Save() => Try(() =>
    {
        var form = editing!;
        var presets = new StylePresets(form.Temperature, form.TopP, form.MaxNewTokens, form.Strength);
        var saved = form.Id is { } id
            ? Catalog.Update(id, form.Name, form.Description, form.Instruction, form.Dataset, form.Label, presets)
            : Catalog.Create(form.Name, form.Description, form.Instruction, form.Dataset, form.Label, presets);
        editing = null;
        notice = L["Saved {0}.", saved.Name];
    });

    void Delete(StyleRecord style) => Try(() =>
    {
        Catalog.Delete(style.Id);
        notice = L["Deleted {0}.", style.Name];
    });

    void FindStyles() => Try(() =>
    {
        var added = Catalog.FindIn(findDataset ?? "");
        notice = added.Count == 0 ? L["{0} has no style that is not here already.", findDataset ?? ""] : L["Added {0}.", string.Join(", ", added.Select(s => s.Name))];
        trainDataset ??= findDataset;
    });

    void ChooseAdapter(StyleRecord style, string? modelId) => Try(() =>
    {
        Catalog.ChooseAdapter(style.Id, modelId);
        notice = modelId is null ? L["{0} has no adapter now.", style.Name] : L["{0} is now written by {1}.", style.Name, modelId];
    });

    void TrainEach() => Try(() =>
    {
        var chosen = styles.Select(s => s.Style).Where(s => s.Dataset == trainDataset).ToList();
        queued = Catalog.TrainEach(trainDataset!, chosen, trainModel ?? "", trainSettings.ToRequest(), perStyle, multiTask);
        notice = L["Queued {0} run(s).", queued.Count];
    });

    void CompareLayouts() => Try(() =>
    {
        var evaluations = Catalog.CompareLayouts(trainDataset!, compareRows);
        comparison = "evaluation/compare?ids=" + string.Join(",", evaluations.Select(e => e.Id));
        notice = L["Queued {0} evaluation(s).", evaluations.Count];
    });

    /// <summary>Runs a change; a refusal (bad name, missing rows…) is shown above the list, nothing else changes.</summary>
    void Try(Action change)
    {
        (error, notice) = (null, null);
        try
        {
            change();
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
        catch (StyleStudio.Data.Storage.Documents.DuplicateKeyException e)
        {
            error = e.Message;   // another page took the name between the check and the write
        }
        Reload();
    }
}
