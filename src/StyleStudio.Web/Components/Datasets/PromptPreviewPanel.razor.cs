using Microsoft.AspNetCore.Components;
using StyleStudio.Application.Datasets;
using StyleStudio.Data.Storage;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Components.Datasets;

/// <summary>
/// A row rendered exactly as the trainer will encode it, through the chosen template and tokenizer: which tokens are
/// masked from the loss, which are learned, and which the cutoff removes.
/// </summary>
public partial class PromptPreviewPanel
{
    /// <summary>The store the rows come from. Required.</summary>
    [Parameter, EditorRequired] public DataStore Store { get; set; } = null!;

    /// <summary>The dataset whose current version is previewed. Required.</summary>
    [Parameter, EditorRequired] public DatasetSummary Dataset { get; set; } = null!;

    IReadOnlyList<ModelEntry> models = [];
    string? model;
    string template = PromptTemplates.Qwen.Name;
    int row = 1, cutoff = 2048;
    Preview? preview;
    /// <summary>Why the row cannot be shown: a translated lead-in, and the tokenizer's or store's own message when there is one.</summary>
    (string Lead, string? Detail)? error;

    protected override void OnParametersSet()
    {
        models = Models.Models();
        model ??= models.FirstOrDefault()?.Name;
        Render();
    }

    void ChooseModel(string value) { model = value; Render(); }
    void ChooseTemplate(string value) { template = value; Render(); }
    void ChooseRow(int value) { row = value; Render(); }
    void ChooseCutoff(int value) { cutoff = value; Render(); }

    void Render()
    {
        if (model is null) return;
        try
        {
            if (Store.Rows(Dataset.Id).Skip(row - 1).FirstOrDefault() is not { } selected)
            {
                (preview, error) = (null, (L["There is no row {0}: the dataset has {1} rows.", row.ToString("N0"), Dataset.Rows.ToString("N0")].Value, null));
                return;
            }
            preview = PromptPreview.Render(selected, PromptTemplates.Get(template), Models.Tokenizer(model), cutoff);
            error = null;
        }
        catch (Exception e) when (e is ArgumentException or TokenizerLoadException or IOException)
        {
            (preview, error) = (null, (L["This row cannot be previewed:"].Value, e.Message));
        }
    }

    static string RoleClass(TokenRole role) => role switch
    {
        TokenRole.Trained => "token-trained",
        TokenRole.Removed => "token-removed",
        _ => "token-masked",
    };
}
