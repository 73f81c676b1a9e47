using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Web.Components.Mining;

/// <summary>
/// Every candidate of the session, best score first, a page at a time (sessions hold thousands): its texts, score and
/// state, accept and reject by button or key on the selected row, and a filter (all, above or below the threshold, decided).
/// </summary>
public partial class MiningCandidates
{
    const int PageSize = 50;

    [Inject] IStringLocalizer<MiningCandidates> L { get; set; } = null!;

    /// <summary>The open session. Required.</summary>
    [Parameter, EditorRequired] public MiningReview Review { get; set; } = null!;

    /// <summary>Raised after each decision (what publishing adds changes). Defaults to none.</summary>
    [Parameter] public EventCallback Changed { get; set; }

    CandidateFilter filter = CandidateFilter.All;
    int page;
    /// <summary>The candidate the keys act on (its index), or -1.</summary>
    int selected = -1;
    /// <summary>The filtered list, taken when the filter or the session changes — not on each decision, so a decided row
    /// stays where it is under the "above"/"below" filters until the user filters again.</summary>
    IReadOnlyList<MiningCandidate> shown = [];
    (int Session, double Threshold)? shownFor;

    IEnumerable<(CandidateFilter, string)> Filters =>
    [
        (CandidateFilter.All, L["All"]), (CandidateFilter.Above, L["At or above the threshold"]),
        (CandidateFilter.Below, L["Below the threshold"]), (CandidateFilter.Decided, L["Decided"]),
    ];

    protected override void OnParametersSet()
    {
        if (shownFor == (Review.Id, Review.Session.Threshold)) return;
        Show(filter);
    }

    void Show(CandidateFilter chosen)
    {
        (filter, page, shownFor) = (chosen, 0, (Review.Id, Review.Session.Threshold));
        shown = Review.Filtered(chosen).ToList();
    }

    IEnumerable<MiningCandidate> PageOf(IReadOnlyList<MiningCandidate> list) => list.Skip(page * PageSize).Take(PageSize);

    string State(MiningCandidate candidate, PairDecision decision) => decision switch
    {
        PairDecision.Accepted => L["accepted"],
        PairDecision.Rejected => L["rejected"],
        _ => candidate.Score >= Review.Session.Threshold ? L["kept by the threshold"] : L["left out by the threshold"],
    };

    async Task Decide(int candidate, PairDecision decision)
    {
        selected = candidate;
        Review.Decide(candidate, decision);
        await Changed.InvokeAsync();
    }

    async Task Key(KeyboardEventArgs e)
    {
        var onPage = PageOf(shown).Select(c => c.Index).ToList();
        if (onPage.Count == 0) return;
        int at = onPage.IndexOf(selected);
        var decision = e.Key switch
        {
            "a" or "A" => PairDecision.Accepted,
            "r" or "R" => PairDecision.Rejected,
            "u" or "U" => PairDecision.Undecided,
            _ => (PairDecision?)null,
        };
        if (decision is { } chosen && at >= 0)
        {
            await Decide(selected, chosen);
            if (chosen != PairDecision.Undecided) Move(onPage, at, 1);   // on to the next row, as a reviewer works down the list
        }
        else if (e.Key == "ArrowDown") Move(onPage, at, 1);
        else if (e.Key == "ArrowUp") Move(onPage, Math.Max(at, 0), -1);
    }

    void Move(List<int> onPage, int at, int by) => selected = onPage[Math.Clamp(at + by, 0, onPage.Count - 1)];
}
