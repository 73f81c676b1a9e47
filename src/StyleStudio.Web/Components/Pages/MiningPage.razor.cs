using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Pairs;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Web.Components.Pages;

/// <summary>
/// Mining pairs from two corpora: choose them and the order mode, mine with progress; then, for the open session (its id
/// in the address, so a reload keeps it), the confirmation sample, the threshold, the candidate review and publishing —
/// each a component over one <see cref="MiningReview"/>. Earlier sessions are listed to reopen.
/// </summary>
public partial class MiningPage : IDisposable
{
    /// <summary>The <see cref="CorpusOrder"/> names (a string select: MudSelect bound to an enum showed only its first item).</summary>
    static readonly IReadOnlyList<string> OrderChoices = Enum.GetNames<CorpusOrder>();

    [Inject] PairMining Mining { get; set; } = null!;
    [Inject] NavigationManager Navigation { get; set; } = null!;
    [Inject] IStringLocalizer<MiningPage> L { get; set; } = null!;

    /// <summary>The session to show, from the address; none when absent.</summary>
    [Parameter] public int? SessionId { get; set; }

    IReadOnlyList<string> corpusNames = [];
    IReadOnlyList<MiningSessionRecord> sessions = [];
    string? source, target;
    string order = nameof(CorpusOrder.Auto);
    bool busy;
    double progress;
    Failure? error;
    MiningReview? review;
    CancellationTokenSource? mining;

    string OrderName(string choice) => choice switch
    {
        nameof(CorpusOrder.Same) => L["the same order (paragraph by paragraph)"],
        nameof(CorpusOrder.Unrelated) => L["unrelated orders"],
        _ => L["detect"],
    };

    protected override void OnInitialized()
    {
        corpusNames = Mining.CorpusNames();
        source = corpusNames.ElementAtOrDefault(0);
        target = corpusNames.ElementAtOrDefault(1);
        sessions = Mining.Sessions();
    }

    protected override void OnParametersSet()
    {
        if (SessionId is not { } id) { review = null; return; }
        if (review?.Id == id) return;
        try
        {
            review = new MiningReview(Mining, id);
        }
        catch (ArgumentException e)
        {
            (review, error) = (null, new(L["Not found:"], e.Message));
        }
    }

    async Task Mine()
    {
        if (busy || source is null || target is null) return;
        (busy, progress, error) = (true, 0, null);
        mining = new CancellationTokenSource();
        var report = new Progress<double>(p => InvokeAsync(() => { progress = p; StateHasChanged(); }));
        try
        {
            var session = await Mining.MineAsync(source, target, Enum.Parse<CorpusOrder>(order), report, mining.Token);
            sessions = Mining.Sessions();
            Navigation.NavigateTo($"pairs/mine/{session.Id}");
        }
        catch (OperationCanceledException) when (mining.IsCancellationRequested)
        {
            // The page went away: nothing was stored.
        }
        catch (ArgumentException e)
        {
            error = new(L["Not mined:"], e.Message);
        }
        finally
        {
            busy = false;
            mining.Dispose();
            mining = null;
        }
    }

    /// <summary>After a change in a step: the session list (labels, threshold, publications) is read again, and every
    /// step re-renders with the review (a decision changes what publishing adds).</summary>
    void Refresh() => sessions = Mining.Sessions();

    /// <summary>What went wrong: a translated lead-in, and the lower layers' own (English) message.</summary>
    sealed record Failure(string Lead, string? Detail = null);

    public void Dispose() => mining?.Cancel();
}
