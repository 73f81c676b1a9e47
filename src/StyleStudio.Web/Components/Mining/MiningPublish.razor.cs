using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Web.Components.Mining;

/// <summary>
/// Publishing the chosen pairs as a new version of a dataset (an existing one, or a new one by that name): the rows get
/// the style label and instruction given here, and the result links to the dataset.
/// </summary>
public partial class MiningPublish
{
    [Inject] PairMining Mining { get; set; } = null!;
    [Inject] IStringLocalizer<MiningPublish> L { get; set; } = null!;

    /// <summary>The open session. Required.</summary>
    [Parameter, EditorRequired] public MiningReview Review { get; set; } = null!;

    /// <summary>Raised after a publication (the session lists change). Defaults to none.</summary>
    [Parameter] public EventCallback Published { get; set; }

    string? dataset;
    string style = "", instruction = "";
    int? styleFor;
    string? error;
    MiningPublished? published;
    int kept, acceptedBelow;

    protected override void OnParametersSet()
    {
        (kept, acceptedBelow) = Review.ChosenCounts();
        if (styleFor == Review.Id) return;
        // The target corpus's style is what the pairs demonstrate, unless the user says otherwise.
        (styleFor, style, published, error) = (Review.Id, Mining.CorpusStyle(Review.Session.TargetCorpus) ?? "", null, null);
    }

    async Task Publish()
    {
        if (string.IsNullOrWhiteSpace(dataset)) return;
        (error, published) = (null, null);
        try
        {
            published = Review.Publish(dataset, style ?? "", instruction ?? "");
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
        await Published.InvokeAsync();
    }
}
