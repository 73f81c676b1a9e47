using Microsoft.AspNetCore.Components;
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

    static string JudgeCell(StyleStudio.Evaluation.Judging.JudgeReport judge, int row) =>
        judge.Rows.FirstOrDefault(r => r.Row == row) switch
        {
            { Scores: { } s } => $"{s.Style} / {s.Meaning} / {s.Fluency}",
            { Outcome: StyleStudio.Evaluation.Judging.JudgeOutcome.Malformed } => "malformed",
            { Outcome: StyleStudio.Evaluation.Judging.JudgeOutcome.TransportError } => "no answer",
            _ => "–",
        };

    static string Percent(double? value) => value is { } v && double.IsFinite(v) ? $"{v * 100:F1} %" : "–";

    public void Dispose() => subscription?.Dispose();
}
