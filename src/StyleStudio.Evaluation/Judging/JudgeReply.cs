using System.Text.Json;
using System.Text.RegularExpressions;

namespace StyleStudio.Evaluation.Judging;

/// <summary>A judge's verdict on one row: three integers from 1 to 5 and the judge's reason.</summary>
public sealed record JudgeScores(int Style, int Meaning, int Fluency, string? Reason);

/// <summary>
/// Reads a judge's reply strictly: one JSON object (optionally the whole reply fenced as a ```json block) whose
/// <c>style</c>, <c>meaning</c> and <c>fluency</c> are JSON integers from 1 to 5 and whose <c>reason</c>, if present, is a
/// string. Nothing is taken from prose around the object, from numbers written as strings or fractions, or from a
/// repeated key; any of those makes the reply malformed, with a problem that says which rule it broke.
/// </summary>
public static partial class JudgeReply
{
    public static readonly string[] Axes = ["style", "meaning", "fluency"];

    /// <summary>The scores, or null and the problem.</summary>
    public static JudgeScores? Parse(string reply, out string? problem)
    {
        string body = reply.Trim();
        if (Fence().Match(body) is { Success: true } fenced) body = fenced.Groups["json"].Value.Trim();
        if (body.Length == 0)
        {
            problem = "the reply is empty";
            return null;
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            problem = $"not a JSON object ({FirstSentence(e.Message)})";
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problem = $"the reply is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object";
                return null;
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var scores = new Dictionary<string, int>();
            string? reason = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    problem = $"'{property.Name}' appears twice";
                    return null;
                }
                if (Axes.Contains(property.Name))
                {
                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int score) || score is < 1 or > 5)
                    {
                        problem = $"'{property.Name}' must be an integer from 1 to 5; got {property.Value.GetRawText()}";
                        return null;
                    }
                    scores[property.Name] = score;
                }
                else if (property.Name == "reason")
                {
                    if (property.Value.ValueKind != JsonValueKind.String)
                    {
                        problem = $"'reason' must be a string; got {property.Value.ValueKind.ToString().ToLowerInvariant()}";
                        return null;
                    }
                    reason = property.Value.GetString();
                }
            }
            if (Axes.FirstOrDefault(axis => !scores.ContainsKey(axis)) is { } missing)
            {
                problem = $"'{missing}' is missing";
                return null;
            }
            problem = null;
            return new JudgeScores(scores["style"], scores["meaning"], scores["fluency"], reason);
        }
    }

    static string FirstSentence(string message) => message.Split(". ", 2)[0].TrimEnd('.');

    /// <summary>The whole reply as one fenced block (```json … ``` or ``` … ```), nothing outside it.</summary>
    [GeneratedRegex(@"\A```(?:json|JSON)?[ \t]*\r?\n(?<json>.*)\r?\n[ \t]*```\z", RegexOptions.Singleline)]
    private static partial Regex Fence();
}
