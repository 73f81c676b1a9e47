using System.Text;
using StyleStudio.Evaluation.Reports;

namespace StyleStudio.Web.Evaluations;

/// <summary>Downloads of finished evaluations: rows as CSV, a comparison as CSV, a self-contained HTML report (in the reader's language).</summary>
public static class EvaluationExports
{
    public const string Path = "/evaluation-exports";

    public static RouteGroupBuilder MapEvaluationExports(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Path);
        group.MapGet("/{id:int}.csv", (int id, EvaluationRuns runs) => runs.Report(id) is { } report
            ? Results.File(EvaluationExport.RowsCsv(report), "text/csv; charset=utf-8", $"evaluation-{id}.csv")
            : Results.NotFound($"evaluation {id} has no report (not finished, failed, or unknown)"));
        group.MapGet("/compare.csv", (string ids, EvaluationRuns runs) => runs.Reports(ids) is { Count: > 0 } reports
            ? Results.File(EvaluationExport.ComparisonCsv(reports), "text/csv; charset=utf-8", "evaluations.csv")
            : Results.NotFound("none of these evaluations has a report"));
        group.MapGet("/report.html", (string ids, EvaluationRuns runs, EvaluationReportLanguage language) => runs.Reports(ids) is { Count: > 0 } reports
            ? Results.File(Encoding.UTF8.GetBytes(language.Html(reports)), "text/html; charset=utf-8", "evaluation-report.html")
            : Results.NotFound("none of these evaluations has a report"));
        return group;
    }
}
