using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StyleStudio.Evaluation.Reports;

/// <summary>How a finished evaluation's report is stored: JSON, NaN allowed (a classifier with no held-out texts of a label).</summary>
public static class ReportJson
{
    static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write(EvaluationReport report) => JsonSerializer.Serialize(report, Options);

    public static EvaluationReport Read(string json) => JsonSerializer.Deserialize<EvaluationReport>(json, Options)!;
}
