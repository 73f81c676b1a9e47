using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Agreement;
using StyleStudio.Evaluation.Judging;
using StyleStudio.Evaluation.Rating;
using StyleStudio.Web.Components.Rating;
using StyleStudio.Web.Rating;

namespace StyleStudio.Web.Components.Pages;

/// <summary>A study's results as <see cref="StudyAnalysis"/> computes them, read when the page opens.</summary>
public partial class RatingResults
{
    [Inject] RatingStudies Studies { get; set; } = null!;
    [Inject] IStringLocalizer<RatingResults> L { get; set; } = null!;

    /// <summary>The study whose results are shown.</summary>
    [Parameter] public int StudyId { get; set; }

    RatingStudy? study;
    StudyResults? results;
    string? error;
    string? judgeEndpoint, judgeModel, judgeKey, judgeStyle, judgeErrorLead, judgeError, judgeProgress;
    bool judging;
    IReadOnlyList<AxisAgreement>? agreement;
    CancellationTokenSource? stop;

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

    async Task JudgeAsync()
    {
        (judging, judgeErrorLead, judgeError, agreement, judgeProgress) = (true, null, null, null, L["asking the judge"]);
        stop = new CancellationTokenSource();
        try
        {
            if (!Uri.TryCreate(judgeEndpoint?.Trim(), UriKind.Absolute, out var url))
            {
                judgeErrorLead = L["The judge endpoint is not an address (e.g. https://api.openai.com/v1):"];
                judgeError = judgeEndpoint;
                return;
            }
            var progress = new Progress<JudgeProgress>(p => InvokeAsync(() => { judgeProgress = L["judged {0} / {1}", p.Done, p.Total]; StateHasChanged(); }));
            agreement = await Studies.JudgeAgreementAsync(StudyId,
                new JudgeEndpointOptions { BaseUrl = url, Model = judgeModel?.Trim() ?? "", ApiKey = string.IsNullOrEmpty(judgeKey) ? null : judgeKey },
                judgeStyle?.Trim() ?? "", progress, stop.Token);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            (judgeErrorLead, judgeError) = (L["The judge could not score the outputs:"], e.Message);
        }
        catch (OperationCanceledException)
        {
            judgeErrorLead = L["Stopped."];
        }
        finally
        {
            judging = false;
        }
    }

    string Correlation(double value) => double.IsNaN(value) ? L["undefined (a constant side)"] : value.ToString("F3");

    public void Dispose() => stop?.Cancel();

    static string Percent(double value) => double.IsNaN(value) ? "—" : (100 * value).ToString("F1") + " %";

    static string Mean(double? mean, int scored) => mean is { } m ? $"{m.ToString("F2")} (n = {scored})" : "—";

    /// <summary>α to three decimals, or "undefined" (the reason goes in the cell's title: the table stays readable).</summary>
    string Alpha(AlphaResult alpha) => alpha.IsDefined ? alpha.Alpha.ToString("F3") : Texts.Undefined;

    /// <summary>The judge names its axes in English words ("style"); the raters' names for them read better.</summary>
    string AxisName(string axis) => Enum.TryParse<RatingAxis>(axis, ignoreCase: true, out var known) ? Texts.Axis(known) : axis;
}
