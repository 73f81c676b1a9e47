using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Web.Components.Mining;

/// <summary>
/// The confirmation sample, one pair at a time: the user says whether it is the same content in the two styles (buttons
/// or keys), and the next unlabelled pair comes up. Going back (or through the sample again) changes earlier answers.
/// </summary>
public partial class MiningSample
{
    [Inject] IStringLocalizer<MiningSample> L { get; set; } = null!;

    /// <summary>The open session. Required.</summary>
    [Parameter, EditorRequired] public MiningReview Review { get; set; } = null!;

    /// <summary>Raised after each answer (the threshold and its estimate change). Defaults to none.</summary>
    [Parameter] public EventCallback Changed { get; set; }

    /// <summary>The place in the sample on screen; null once all are labelled and the user has not gone back.</summary>
    int? shown;
    int Position => shown ?? 0;
    int? sessionShown;
    ElementReference keyArea;
    bool focusPending;

    SampleLabel? Shown => shown is { } i ? Review.Session.Sample[i] : null;

    protected override void OnParametersSet()
    {
        if (sessionShown == Review.Id) return;
        (sessionShown, shown, focusPending) = (Review.Id, Review.FirstUnlabelled, true);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!focusPending || shown is null) return;
        focusPending = false;
        await keyArea.FocusAsync();
    }

    async Task Answer(bool correct)
    {
        if (Shown is not { } label) return;
        Review.Label(label.Candidate, correct);
        // Next: the following unlabelled one, else the first unlabelled one, else done.
        int next = Review.Session.Sample.Select((s, i) => (s, i)).Where(p => p.i > Position && p.s.Correct is null).Select(p => p.i).DefaultIfEmpty(-1).First();
        shown = next >= 0 ? next : Review.FirstUnlabelled;
        focusPending = true;
        await Changed.InvokeAsync();
    }

    async Task Key(KeyboardEventArgs e)
    {
        switch (e.Key)
        {
            case "y" or "Y" or "ArrowRight": await Answer(true); break;
            case "n" or "N" or "ArrowLeft": await Answer(false); break;
        }
    }

    void Previous()
    {
        if (Position > 0) (shown, focusPending) = (Position - 1, true);
    }

    void Again() => (shown, focusPending) = (0, true);
}
