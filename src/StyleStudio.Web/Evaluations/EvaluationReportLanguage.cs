using Microsoft.Extensions.Localization;
using StyleStudio.Evaluation.Reports;

namespace StyleStudio.Web.Evaluations;

/// <summary>
/// The HTML report in the language of whoever downloads it (the request's culture, as for the pages): the report's own
/// English phrases are the keys of <c>Resources/Evaluations/EvaluationReportLanguage.zh-CN.resx</c>. The CSV exports stay
/// English: their headers are read by programs.
/// </summary>
public sealed class EvaluationReportLanguage(IStringLocalizer<EvaluationReportLanguage> localizer)
{
    public string Html(IReadOnlyList<NamedReport> reports) => EvaluationExport.Html(reports, phrase => localizer[phrase]);
}
