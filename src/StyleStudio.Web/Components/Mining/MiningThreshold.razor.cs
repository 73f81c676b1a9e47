using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Pairs;
using StyleStudio.Web.Pairs;

namespace StyleStudio.Web.Components.Mining;

/// <summary>
/// The trade-off of each threshold worth choosing (a sampled score), estimated from the labelled sample: precision with
/// its interval, correct pairs kept, pairs kept, recall. A row, the number or the slider sets the session's threshold.
/// </summary>
public partial class MiningThreshold
{
    /// <summary>The precision the suggestion aims at, in percent.</summary>
    const int Target = (int)(ThresholdEstimate.DefaultTarget * 100);

    [Inject] IStringLocalizer<MiningThreshold> L { get; set; } = null!;

    /// <summary>The open session. Required.</summary>
    [Parameter, EditorRequired] public MiningReview Review { get; set; } = null!;

    /// <summary>Raised when the threshold changes. Defaults to none.</summary>
    [Parameter] public EventCallback Changed { get; set; }

    string RowClass(double threshold) => threshold == Review.Session.Threshold ? "tradeoff-row mud-theme-primary" : "tradeoff-row";

    static string Precision(ThresholdPoint point) =>
        point.Precision is { } p ? $"{p:P0} ({point.Low:P0}–{point.High:P0})" : "—";

    string Summary => Review.AtThreshold switch
    {
        { Precision: { } p } at => L["At {0}: {1} pairs kept, about {2} correct (precision {3}).", PairMining.Format(at.Threshold), at.Kept.ToString("N0"),
            at.CorrectKept.ToString("N0"), Precision(at)],
        var at => L["At {0}: {1} pairs kept; no labelled pair scores this high.", PairMining.Format(at.Threshold), at.Kept.ToString("N0")],
    };

    async Task Choose(double threshold)
    {
        Review.SetThreshold(Math.Clamp(threshold, 0, 1));
        await Changed.InvokeAsync();
    }
}
