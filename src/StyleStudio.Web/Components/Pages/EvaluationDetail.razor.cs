using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;
using MudBlazor;
using StyleStudio.Data.Storage;
using StyleStudio.Evaluation;
using StyleStudio.Web.Evaluations;

namespace StyleStudio.Web.Components.Pages;

/// <summary>One evaluation: live progress while it runs (from the job's events), then its report and exports.</summary>
public partial class EvaluationDetail
{
    [Parameter] public int Id { get; set; }

    [Inject] EvaluationRuns Runs { get; set; } = null!;
    [Inject] EvaluationEvents Events { get; set; } = null!;
    [Inject] IStringLocalizer<EvaluationDetail> L { get; set; } = null!;

    EvaluationRecord? record;
    EvaluationReport? report;
    string? message;
    IDisposable? subscription;

    Color StatusColor => record?.Status switch
    {
        EvaluationStatus.Completed => Color.Success,
        EvaluationStatus.Failed => Color.Error,
        EvaluationStatus.Running => Color.Info,
        _ => Color.Default,
    };

    protected override void OnParametersSet()
    {
        subscription?.Dispose();
        Load();
        subscription = Events.Subscribe(update =>
        {
            if (update.EvaluationId != Id) return;
            InvokeAsync(() =>
            {
                message = update.Message ?? message;
                if (update.Status == EvaluationStatus.Running && record is not null)
                    record = record with { Status = update.Status, Done = update.Done, Total = update.Total };
                else Load();
                StateHasChanged();
            });
        });
    }

    void Load()
    {
        record = Runs.All().Any(r => r.Id == Id) ? Runs.Get(Id) : null;
        report = record?.Status == EvaluationStatus.Completed ? Runs.Report(Id) : null;
    }

    string JudgeCell(StyleStudio.Evaluation.Judging.JudgeReport judge, int row) =>
        judge.Rows.FirstOrDefault(r => r.Row == row) switch
        {
            { Scores: { } s } => $"{s.Style} / {s.Meaning} / {s.Fluency}",
            { Outcome: StyleStudio.Evaluation.Judging.JudgeOutcome.Malformed } => L["malformed"],
            { Outcome: StyleStudio.Evaluation.Judging.JudgeOutcome.TransportError } => L["no answer"],
            _ => "–",
        };

    /// <summary>The overall row is named in the page's language; the others carry the dataset's own style labels.</summary>
    string StyleName(MetricSummary summary) => ReferenceEquals(summary, report?.Overall) ? L["all"] : summary.Style;

    /// <summary>The job's own words in the page's language, or null for a failure's text (shown as it came).</summary>
    string? Translated(string message) => message switch
    {
        EvaluationMessages.TrainingClassifier => L["training the style classifier"].Value,
        EvaluationMessages.Judging => L["LLM judge"].Value,
        EvaluationMessages.Cancelled => L["cancelled"].Value,
        EvaluationMessages.CancelledBeforeStart => L["cancelled before it started"].Value,
        EvaluationMessages.Interrupted => L["interrupted: the studio stopped; the evaluation starts over when it restarts"].Value,
        EvaluationMessages.InterruptedAtStartup => L["interrupted: the studio stopped; starting over"].Value,
        _ => null,
    };

    static string Percent(double? value) => value is { } v && double.IsFinite(v) ? $"{v * 100:F1} %" : "–";

    public void Dispose() => subscription?.Dispose();
}
