using System.Globalization;
using Microsoft.AspNetCore.Components;
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

    /// <summary>The study whose results are shown.</summary>
    [Parameter] public int StudyId { get; set; }

    RatingStudy? study;
    StudyResults? results;
    string? error;
    string? judgeEndpoint, judgeModel, judgeKey, judgeStyle, judgeError, judgeProgress;
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
        (judging, judgeError, agreement, judgeProgress) = (true, null, null, "asking the judge");
        stop = new CancellationTokenSource();
        try
        {
            if (!Uri.TryCreate(judgeEndpoint?.Trim(), UriKind.Absolute, out var url))
                throw new ArgumentException($"judge endpoint '{judgeEndpoint}' is not an address (e.g. https://api.openai.com/v1)");
            var progress = new Progress<JudgeProgress>(p => InvokeAsync(() => { judgeProgress = $"judged {p.Done} / {p.Total}"; StateHasChanged(); }));
            agreement = await Studies.JudgeAgreementAsync(StudyId,
                new JudgeEndpointOptions { BaseUrl = url, Model = judgeModel?.Trim() ?? "", ApiKey = string.IsNullOrEmpty(judgeKey) ? null : judgeKey },
                judgeStyle?.Trim() ?? "", progress, stop.Token);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            judgeError = e.Message;
        }
        catch (OperationCanceledException)
        {
            judgeError = "stopped";
        }
        finally
        {
            judging = false;
        }
    }

    static string Correlation(double value) => double.IsNaN(value) ? "undefined (a constant side)" : value.ToString("F3", CultureInfo.InvariantCulture);

    public void Dispose() => stop?.Cancel();

    static string Percent(double value) => double.IsNaN(value) ? "—" : (100 * value).ToString("F1", CultureInfo.InvariantCulture) + " %";

    static string Mean(double? mean, int scored) => mean is { } m ? $"{m.ToString("F2", CultureInfo.InvariantCulture)} (n = {scored})" : "—";

    /// <summary>α to three decimals, or "undefined" (the reason goes in the cell's title: the table stays readable).</summary>
    static string Alpha(AlphaResult alpha) => alpha.IsDefined ? alpha.Alpha.ToString("F3", CultureInfo.InvariantCulture) : RatingTexts.Undefined;
}
