using System.Text.Json;
using System.Text.Json.Nodes;
using StyleStudio.Data.Import;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Mapping;

/// <summary>Turns one source record into a <see cref="DatasetRow"/>, or says precisely why it cannot (row, field, reason).</summary>
public static class RowMapper
{
    /// <summary>Longest text accepted in one field, in characters.</summary>
    public const int DefaultMaxChars = 32_768;

    public static (DatasetRow? Row, RowError? Error) Map(SourceRecord record, FieldMapping mapping, int maxChars = DefaultMaxChars)
    {
        if (record.Problem is not null) return (null, new RowError(record.Location, record.ProblemField ?? "(row)", record.Problem));
        try
        {
            var row = mapping.Shape == RowShape.Columns ? Columns(record, mapping, maxChars) : Messages(record, mapping, maxChars);
            return (row, null);
        }
        catch (RowProblem e)
        {
            return (null, new RowError(record.Location, e.Field, e.Message));
        }
    }

    static DatasetRow Columns(SourceRecord record, FieldMapping mapping, int maxChars)
    {
        string? instruction = Text(record, mapping.Instruction, maxChars);
        string? input = Text(record, mapping.Input, maxChars);
        if (string.IsNullOrWhiteSpace(instruction) && string.IsNullOrWhiteSpace(input))
            throw new RowProblem(mapping.Instruction ?? mapping.Input!, mapping.Instruction is not null && mapping.Input is not null
                ? $"both {mapping.Instruction} and {mapping.Input} are missing or empty" : "missing or empty");
        string output = Text(record, mapping.Output, maxChars) is { } o && !string.IsNullOrWhiteSpace(o) ? o
            : throw new RowProblem(mapping.Output!, "missing or empty");
        return new DatasetRow
        {
            Instruction = instruction ?? "",
            Input = input,
            Output = output,
            System = Text(record, mapping.System, maxChars),
            Style = Text(record, mapping.Style, maxChars) ?? mapping.FixedStyle,
            History = mapping.History is null ? [] : History(record, mapping.History, maxChars),
        };
    }

    static List<HistoryTurn> History(SourceRecord record, string column, int maxChars)
    {
        var value = record.Fields.GetValueOrDefault(column);
        if (value is null) return [];
        if (value is not JsonArray pairs) throw new RowProblem(column, "must be a list of [question, answer] pairs");
        var turns = new List<HistoryTurn>();
        foreach (var pair in pairs)
        {
            if (pair is not JsonArray { Count: 2 } two || two.Any(p => p?.GetValueKind() != JsonValueKind.String))
                throw new RowProblem($"{column}[{turns.Count}]", "each entry must be [question, answer] strings");
            turns.Add(new HistoryTurn(Limit(two[0]!.GetValue<string>(), column, maxChars), Limit(two[1]!.GetValue<string>(), column, maxChars)));
        }
        return turns;
    }

    /// <summary>sharegpt (from/value) or OpenAI (role/content): optional system first, then user and assistant alternating.</summary>
    static DatasetRow Messages(SourceRecord record, FieldMapping mapping, int maxChars)
    {
        string column = mapping.Messages!;
        bool shareGpt = mapping.Shape == RowShape.ShareGpt;
        var (roleKey, textKey) = shareGpt ? ("from", "value") : ("role", "content");
        if (record.Fields.GetValueOrDefault(column) is not JsonArray messages)
            throw new RowProblem(column, "missing or not a list of messages");
        string? system = null, pendingUser = null;
        var turns = new List<HistoryTurn>();
        for (int i = 0; i < messages.Count; i++)
        {
            string at = $"{column}[{i}]";
            if (messages[i] is not JsonObject message) throw new RowProblem(at, "not an object");
            string role = message[roleKey] is JsonValue r && r.TryGetValue<string>(out var name) ? name : throw new RowProblem($"{at}.{roleKey}", "missing");
            string text = message[textKey] is JsonValue t && t.TryGetValue<string>(out var content) ? Limit(content, $"{at}.{textKey}", maxChars)
                : throw new RowProblem($"{at}.{textKey}", "missing or not a string");
            switch (role)
            {
                case "system" when i == 0: system = text; break;
                case "human" or "user" when pendingUser is null: pendingUser = text; break;
                case "gpt" or "assistant" when pendingUser is not null:
                    if (string.IsNullOrWhiteSpace(text)) throw new RowProblem($"{at}.{textKey}", "empty answer");
                    turns.Add(new HistoryTurn(pendingUser, text));
                    pendingUser = null;
                    break;
                default:
                    throw new RowProblem($"{at}.{roleKey}", $"'{role}' out of order (expected system first, then user and assistant alternating)");
            }
        }
        if (pendingUser is not null) throw new RowProblem(column, "ends with a user message that has no answer");
        if (turns.Count == 0) throw new RowProblem(column, "no user/assistant exchange");
        return new DatasetRow
        {
            Instruction = turns[^1].User,
            Output = turns[^1].Assistant,
            System = system ?? Text(record, mapping.System, maxChars),
            Style = Text(record, mapping.Style, maxChars) ?? mapping.FixedStyle,
            History = turns[..^1],
        };
    }

    static string? Text(SourceRecord record, string? column, int maxChars)
    {
        if (column is null) return null;
        if (!record.Fields.TryGetValue(column, out var value) || value is null) return null;
        if (value is not JsonValue scalar || !scalar.TryGetValue<string>(out var text))
            throw new RowProblem(column, $"must be text, got {value.GetValueKind().ToString().ToLowerInvariant()}");
        return Limit(text, column, maxChars);
    }

    static string Limit(string text, string field, int maxChars) =>
        text.Length <= maxChars ? text : throw new RowProblem(field, $"over-long: {text.Length:N0} characters (limit {maxChars:N0})");

    sealed class RowProblem(string field, string reason) : Exception(reason)
    {
        public string Field { get; } = field;
    }
}
