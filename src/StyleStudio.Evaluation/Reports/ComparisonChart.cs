using System.Globalization;
using System.Net;
using System.Text;

namespace StyleStudio.Evaluation.Reports;

/// <summary>
/// A grouped bar chart as inline SVG: one group per style, one bar per evaluation, values 0–1. SVG rather than a chart
/// library so that the page and the exported HTML report draw the same picture and the report needs no script.
/// </summary>
public static class ComparisonChart
{
    static readonly string[] Colors = ["#1976d2", "#e65100", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#455a64"];

    /// <param name="overall">The name under the overall group (the studio's page gives it in the reader's language).</param>
    public static string Svg(IReadOnlyList<NamedReport> reports, Func<MetricSummary, double?> pick, string overall = "all")
    {
        var styles = reports.SelectMany(r => r.Report.ByStyle.Select(s => s.Style)).Distinct().Order(StringComparer.Ordinal).ToList();
        int overallGroup = styles.Count;
        styles.Add(overall);
        const int barWidth = 22, gap = 26, height = 160, top = 10, left = 40;
        int groupWidth = reports.Count * barWidth + gap;
        int width = left + styles.Count * groupWidth + 10;
        int legendTop = top + height + 34;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"comparison-chart\" width=\"{Math.Max(width, 320)}\" height=\"{legendTop + 18 * reports.Count + 6}\" font-size=\"12\" font-family=\"sans-serif\">");
        for (int tick = 0; tick <= 4; tick++)
        {
            double y = top + height - tick * height / 4.0;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{left - 6}\" y=\"{y + 4}\" text-anchor=\"end\">{tick * 0.25:0.##}</text>");
        }
        for (int s = 0; s < styles.Count; s++)
        {
            int x0 = left + s * groupWidth + gap / 2;
            for (int r = 0; r < reports.Count; r++)
            {
                var report = reports[r].Report;
                var summary = s == overallGroup ? report.Overall : report.ByStyle.FirstOrDefault(m => m.Style == styles[s]);
                if (summary is null || pick(summary) is not { } value || !double.IsFinite(value)) continue;
                double h = Math.Clamp(value, 0, 1) * height;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x0 + r * barWidth}\" y=\"{top + height - h:F1}\" width=\"{barWidth - 2}\" height=\"{h:F1}\" fill=\"{Colors[r % Colors.Length]}\"><title>{E(reports[r].Name)} · {E(styles[s])}: {value:F3}</title></rect>");
            }
            // Styles and evaluations' names are data (translate="no": translators and the studio's language check leave
            // them alone); the overall group's name is the reader's language.
            string data = s == overallGroup ? "" : " translate=\"no\"";
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x0 + reports.Count * barWidth / 2}\" y=\"{top + height + 16}\" text-anchor=\"middle\"{data}>{E(styles[s])}</text>");
        }
        for (int r = 0; r < reports.Count; r++)
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{legendTop + 18 * r - 10}\" width=\"12\" height=\"12\" fill=\"{Colors[r % Colors.Length]}\"/><text x=\"{left + 18}\" y=\"{legendTop + 18 * r}\" translate=\"no\">{E(reports[r].Name)}</text>");
        return svg.Append("</svg>").ToString();
    }

    static string E(string text) => WebUtility.HtmlEncode(text);
}
