using System.Globalization;
using System.Net;
using System.Text;
using CsvHelper;

namespace StyleStudio.Evaluation.Reports;

/// <summary>An evaluation as others read it: its name and the report.</summary>
public sealed record NamedReport(string Name, EvaluationReport Report);

/// <summary>
/// Exports: every row with its scores as CSV (UTF-8 with BOM, so Excel opens Chinese correctly), evaluations side by
/// side as CSV, and a self-contained HTML report (inline CSS and SVG charts, no scripts or links) to mail or archive.
/// </summary>
public static class EvaluationExport
{
    public static byte[] RowsCsv(EvaluationReport report) => Csv(
        ["style", "source", "prompt", "reference", "prediction", "bleu", "chrf", "meteor", "ter", "chrf_source",
         "classified_as", "in_style", "perplexity", "fluent", "joint"],
        report.Rows.Select(r => new object?[] { r.Style, r.Source, r.Prompt, r.Reference, r.Prediction, r.Bleu, r.ChrF, r.Meteor, r.Ter,
            r.ChrFSource, r.ClassifiedAs, r.InStyle, r.Perplexity, r.Fluent, r.Joint }));

    /// <summary>One line per evaluation and style: the corpus scores.</summary>
    public static byte[] ComparisonCsv(IReadOnlyList<NamedReport> reports) => Csv(
        ["evaluation", "style", "rows", "bleu", "chrf", "chrf_plus_plus", "meteor", "ter", "self_bleu", "chrf_source",
         "style_accuracy", "fluent_share", "joint", "reference_perplexity", "classifier_accuracy"],
        from named in reports
        from s in named.Report.ByStyle.Append(named.Report.Overall)
        select new object?[] { named.Name, s.Style, s.Rows, s.Bleu, s.ChrF, s.ChrFPlusPlus, s.Meteor, s.Ter, s.SelfBleu, s.ChrFSource,
            s.StyleAccuracy, s.FluentShare, s.Joint, s.ReferencePerplexity, named.Report.Classifier?.Accuracy });

    static byte[] Csv(IReadOnlyList<string> headers, IEnumerable<object?[]> rows)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions()))
        {
            foreach (var header in headers) csv.WriteField(header);
            csv.EndRecord();
            foreach (var row in rows)
            {
                foreach (var field in row) csv.WriteField(Format(field));
                csv.EndRecord();
            }
        }
        return Utf8WithBom(text.ToString());
    }

    /// <summary>The headline metrics compared as bars (per style, one bar per evaluation) and every evaluation's table.</summary>
    /// <param name="say">The report's words in its reader's language: given each phrase of <see cref="ReportPhrases"/> (or a
    /// <see cref="HeadlineMetrics"/> title) in English, its translation. Defaults to English.</param>
    public static string Html(IReadOnlyList<NamedReport> reports, Func<string, string>? say = null)
    {
        say ??= phrase => phrase;
        var html = new StringBuilder();
        string title = E(say(ReportTitle));
        html.Append("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>").Append(title).Append("</title><style>")
            .Append("body{font-family:'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#222}")
            .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
            .Append("td:first-child,th:first-child{text-align:left}h2{margin-top:2em}.note{color:#555}</style></head><body>")
            .Append("<h1>").Append(title).Append("</h1>");
        foreach (var (metric, pick) in HeadlineMetrics)
            html.Append("<h2>").Append(E(say(metric))).Append("</h2>").Append(ComparisonChart.Svg(reports, pick, say(Overall)));
        foreach (var (name, report) in reports)
        {
            html.Append("<h2>").Append(E(name)).Append("</h2>");
            if (report.Classifier is { } c)
                html.Append("<p class=\"note\">").Append(E(string.Format(CultureInfo.InvariantCulture, say(ClassifierNote), Percent(c.Accuracy), c.HeldOutTexts, c.TrainTexts))).Append("</p>");
            html.Append("<table><tr>");
            foreach (var column in Columns) html.Append("<th>").Append(E(say(column))).Append("</th>");
            html.Append("</tr>");
            foreach (var s in report.ByStyle.Append(report.Overall))
                html.Append("<tr><td>").Append(E(ReferenceEquals(s, report.Overall) ? say(Overall) : s.Style)).Append("</td><td>").Append(s.Rows).Append("</td><td>").Append(F(s.Bleu))
                    .Append("</td><td>").Append(F(s.ChrF)).Append("</td><td>").Append(F(s.ChrFPlusPlus)).Append("</td><td>").Append(s.Meteor is { } m ? m.ToString("F4", CultureInfo.InvariantCulture) : "–").Append("</td><td>").Append(F(s.Ter))
                    .Append("</td><td>").Append(F(s.SelfBleu)).Append("</td><td>").Append(Percent(s.StyleAccuracy)).Append("</td><td>")
                    .Append(Percent(s.FluentShare)).Append("</td><td>").Append(s.Joint is { } j ? j.ToString("F3", CultureInfo.InvariantCulture) : "–")
                    .Append("</td></tr>");
            html.Append("</table>");
        }
        return html.Append("</body></html>").ToString();
    }

    const string ReportTitle = "StyleStudio evaluation";
    const string Overall = "all";
    const string ClassifierNote = "Style classifier: {0} of {1} held-out texts classified correctly (trained on {2}).";
    // Capitalized as on the studio's pages; "Style accuracy" is also a chart title, one key in the translations.
    static readonly string[] Columns =
        ["Style", "Rows", "BLEU", "chrF", "chrF++", "METEOR", "TER", "self-BLEU", "Style accuracy", "Fluent", "Joint"];

    /// <summary>Every phrase the HTML report passes to its translator (besides the <see cref="HeadlineMetrics"/> titles).</summary>
    public static IEnumerable<string> ReportPhrases => [ReportTitle, Overall, ClassifierNote, .. Columns];

    /// <summary>What the comparison charts show: the joint score, style accuracy, and chrF against the references.</summary>
    public static readonly IReadOnlyList<(string Title, Func<MetricSummary, double?> Pick)> HeadlineMetrics =
    [
        ("Joint score (style × content × fluency)", s => s.Joint),
        ("Style accuracy", s => s.StyleAccuracy),
        ("chrF vs reference (÷100)", s => s.ChrF / 100),
    ];

    static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static string F(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    static string Percent(double? value) => value is { } v && double.IsFinite(v) ? (v * 100).ToString("F1", CultureInfo.InvariantCulture) + " %" : "–";

    static string E(string text) => WebUtility.HtmlEncode(text);

    static byte[] Utf8WithBom(string text) => [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(text)];
}
