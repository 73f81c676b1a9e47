using System.Text.Json;
using StyleStudio.Training.Sft;

namespace StyleStudio.Data.Formats;

/// <summary>
/// Reads training conversations from JSON Lines in the two shapes LLaMA-Factory users have: alpaca
/// (instruction, input, output, optional system and history) and sharegpt (conversations of from/value with
/// human/gpt/system roles). Bad rows are reported with their line, field and reason; good rows are kept.
/// </summary>
public static class ConversationJsonl
{
    public sealed record Result(IReadOnlyList<Conversation> Conversations, IReadOnlyList<RowError> Errors);

    public static Result Read(string path)
    {
        var conversations = new List<Conversation>();
        var errors = new List<RowError>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                using var row = JsonDocument.Parse(text);
                var parsed = row.RootElement.ValueKind != JsonValueKind.Object
                    ? throw new RowException("(row)", "not a JSON object")
                    : row.RootElement.TryGetProperty("conversations", out var turns) ? ShareGpt(turns) : Alpaca(row.RootElement);
                conversations.Add(parsed);
            }
            catch (JsonException e)
            {
                errors.Add(new RowError(line, "(row)", $"not valid JSON ({e.Message})"));
            }
            catch (RowException e)
            {
                errors.Add(new RowError(line, e.Field, e.Message));
            }
        }
        return new Result(conversations, errors);
    }

    /// <summary>instruction and input are joined by a newline, as LLaMA-Factory does.</summary>
    static Conversation Alpaca(JsonElement row)
    {
        string instruction = Text(row, "instruction", required: true)!;
        string? input = Text(row, "input", required: false);
        string output = Text(row, "output", required: true)!;
        var turns = new List<Turn>();
        if (row.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array)
            foreach (var pair in history.EnumerateArray())
            {
                if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2 || pair.EnumerateArray().Any(p => p.ValueKind != JsonValueKind.String))
                    throw new RowException("history", "each entry must be [question, answer] strings");
                turns.Add(new Turn(pair[0].GetString()!, pair[1].GetString()!));
            }
        turns.Add(new Turn(string.IsNullOrEmpty(input) ? instruction : instruction + "\n" + input, output));
        return new Conversation(turns, Text(row, "system", required: false));
    }

    static Conversation ShareGpt(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new RowException("conversations", "must be a list of messages");
        string? system = null;
        string? pendingUser = null;
        var turns = new List<Turn>();
        int index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            string role = message.TryGetProperty("from", out var from) ? from.GetString() ?? "" : "";
            string value = message.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                : throw new RowException($"conversations[{index}].value", "missing or not a string");
            switch (role)
            {
                case "system" when index == 0: system = value; break;
                case "human" or "user" when pendingUser is null: pendingUser = value; break;
                case "gpt" or "assistant" when pendingUser is not null:
                    turns.Add(new Turn(pendingUser, value));
                    pendingUser = null;
                    break;
                default:
                    throw new RowException($"conversations[{index}].from", $"'{role}' out of order (expected system first, then human and gpt alternating)");
            }
            index++;
        }
        if (pendingUser is not null) throw new RowException("conversations", "ends with a human message that has no answer");
        if (turns.Count == 0) throw new RowException("conversations", "no human/gpt exchange");
        return new Conversation(turns, system);
    }

    static string? Text(JsonElement row, string field, bool required)
    {
        if (!row.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw new RowException(field, "missing") : null;
        if (value.ValueKind != JsonValueKind.String) throw new RowException(field, $"must be a string, got {value.ValueKind.ToString().ToLowerInvariant()}");
        string text = value.GetString()!;
        if (required && string.IsNullOrWhiteSpace(text)) throw new RowException(field, "empty");
        return text;
    }

    sealed class RowException(string field, string reason) : Exception(reason)
    {
        public string Field { get; } = field;
    }
}
