using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Web.Rating;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// One rater working through a study: the rater's name lives in the address (?rater=), so leaving and coming back — or
/// a reload — continues at the first item they have not rated. The page keeps the item on screen and the scores being
/// entered; <see cref="RatingStudies"/> decides the blind order and saves by system.
/// </summary>
public partial class RateStudy
{
    [Inject] RatingStudies Studies { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;

    /// <summary>The study being rated.</summary>
    [Parameter] public int StudyId { get; set; }

    /// <summary>Who is rating; null until they have given their name.</summary>
    [SupplyParameterFromQuery(Name = "rater")] public string? Rater { get; set; }

    RatingStudy? study;
    RaterItem? item;
    /// <summary><see cref="Rater"/> trimmed, or null when none was given (the parameter itself is left as it came).</summary>
    string? rater;
    AxisScores scoresA = AxisScores.None, scoresB = AxisScores.None;
    string raterName = "";
    string? error;
    ElementReference keyArea;
    bool focusPending;

    protected override void OnParametersSet()
    {
        error = null;
        try
        {
            study = Studies.Get(StudyId);
        }
        catch (ArgumentException e)
        {
            (study, error) = (null, e.Message);
            return;
        }
        rater = string.IsNullOrWhiteSpace(Rater) ? null : Rater.Trim();
        if (rater is not null) Show(Studies.NextItem(StudyId, rater));
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!focusPending || item is null) return;
        focusPending = false;
        await keyArea.FocusAsync();
    }

    void Show(int? index)
    {
        item = index is { } i ? Studies.Item(StudyId, rater!, i) : null;
        (scoresA, scoresB) = item is null ? (AxisScores.None, AxisScores.None) : (item.ScoresA, item.ScoresB);
        focusPending = true;
    }

    void Start() => Navigation.NavigateTo($"rate/{StudyId}?rater={Uri.EscapeDataString(raterName.Trim())}");

    void NameKey(KeyboardEventArgs e)
    {
        if (e.Key == "Enter" && !string.IsNullOrWhiteSpace(raterName)) Start();
    }

    AxisScores Scores(int position) => position == 0 ? scoresA : scoresB;

    void Score(int position, RatingAxis axis, int value)
    {
        int? score = value is >= 1 and <= 5 ? value : null;   // MudRating reports 0 when a star is clicked off
        if (position == 0) scoresA = scoresA.With(axis, score);
        else scoresB = scoresB.With(axis, score);
    }

    void Key(KeyboardEventArgs e)
    {
        var choice = e.Key switch
        {
            "1" => ScreenChoice.ABetter,
            "2" => ScreenChoice.BBetter,
            "3" => ScreenChoice.Tie,
            "4" => ScreenChoice.BothBad,
            _ => (ScreenChoice?)null,
        };
        if (choice is { } chosen) Choose(chosen);
    }

    void Choose(ScreenChoice choice)
    {
        if (item is null || rater is null) return;
        try
        {
            Studies.Rate(StudyId, rater, item.Index, choice, scoresA, scoresB);
            Show(Studies.NextItem(StudyId, rater));
        }
        catch (ArgumentException e)
        {
            error = e.Message;
        }
    }

    void Previous()
    {
        if (item is { Index: > 0 }) Show(item.Index - 1);
    }
}
