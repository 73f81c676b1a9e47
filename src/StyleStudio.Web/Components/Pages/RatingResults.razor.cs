using System.Globalization;
using Microsoft.AspNetCore.Components;
using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Agreement;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Web.Components.Rating;
using StyleStudio.Web.Rating;

namespace StyleStudio.Web.Components.Pages;

/// <summary>A study's results as <see cref="StudyAnalysis"/> computes them, read when the page opens.</summary>
public partial class RatingResults
{
    [Inject] RatingStudies Studies { get; set; } = null!;

    /// <summary>The study whose results are shown.</summary>
    [Parameter] public int StudyId { get; set; }

    RatingStudy? study;
    StudyResults? results;
    string? error;

    protected override void OnParametersSet()
    {
        try
        {
            (study, results, error) = (Studies.Get(StudyId), Studies.Results(StudyId), null);
        }
        catch (ArgumentException e)
        {
            (study, results, error) = (null, null, e.Message);
        }
    }

    static string Percent(double value) => double.IsNaN(value) ? "—" : (100 * value).ToString("F1", CultureInfo.InvariantCulture) + " %";

    static string Mean(double? mean, int scored) => mean is { } m ? $"{m.ToString("F2", CultureInfo.InvariantCulture)} (n = {scored})" : "—";

    /// <summary>α to three decimals, or "undefined" (the reason goes in the cell's title: the table stays readable).</summary>
    static string Alpha(AlphaResult alpha) => alpha.IsDefined ? alpha.Alpha.ToString("F3", CultureInfo.InvariantCulture) : RatingTexts.Undefined;
}
