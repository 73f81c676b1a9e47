using System.Text.Json.Nodes;
using StyleStudio.Data.Import;

namespace StyleStudio.Data.Mapping;

/// <summary>A proposed mapping with how sure the detector is (0–1) and why.</summary>
public sealed record MappingProposal(FieldMapping Mapping, double Confidence, string Reason);

/// <summary>
/// Proposes how a file maps to examples, from a sample of its records: sharegpt or OpenAI message lists when a column
/// holds them, otherwise columns matched by name (English and Chinese synonyms), falling back to the first two text
/// columns as input → output. Confidence is the share of sampled rows the mapping would accept, lowered for guesses.
/// </summary>
public static class ShapeDetector
{
    static readonly Dictionary<string, string[]> Synonyms = new()
    {
        ["instruction"] = ["instruction", "instructions", "prompt", "query", "question", "task", "指令", "问题", "提示", "任务"],
        ["input"] = ["input", "source", "src", "text", "original", "sentence", "modern", "formal", "输入", "原文", "原句", "现代文", "白话", "公文"],
        ["output"] = ["output", "response", "answer", "target", "tgt", "rewrite", "rewritten", "completion", "classical", "casual",
                      "输出", "回答", "译文", "改写", "目标", "古文", "古风", "文言"],
        ["system"] = ["system", "system_prompt", "系统", "系统提示"],
        ["style"] = ["style", "label", "category", "tone", "风格", "类别", "标签", "语气"],
        ["history"] = ["history", "历史"],
    };

    public static MappingProposal Propose(IReadOnlyList<SourceRecord> sample, string? fixedStyle = null)
    {
        var good = sample.Where(r => r.Problem is null).ToList();
        if (good.Count == 0) return new MappingProposal(new FieldMapping { FixedStyle = fixedStyle }, 0, "no readable records in the sample");
        var columns = good.SelectMany(r => r.Fields.Keys).Distinct().ToList();

        foreach (var column in columns)
        {
            var lists = good.Select(r => r.Fields.GetValueOrDefault(column)).OfType<JsonArray>().ToList();
            if (lists.Count == 0) continue;
            var first = lists.SelectMany(l => l).OfType<JsonObject>().FirstOrDefault();
            if (first is null) continue;
            var shape = first.ContainsKey("from") && first.ContainsKey("value") ? RowShape.ShareGpt
                : first.ContainsKey("role") && first.ContainsKey("content") ? RowShape.OpenAiMessages : (RowShape?)null;
            if (shape is null) continue;
            var mapping = new FieldMapping { Shape = shape.Value, Messages = column, Style = Match(columns, "style"), System = Match(columns, "system"), FixedStyle = fixedStyle };
            return Score(good, mapping, $"column '{column}' holds {(shape == RowShape.ShareGpt ? "sharegpt from/value" : "OpenAI role/content")} messages", 1.0);
        }

        var named = new FieldMapping
        {
            Instruction = Match(columns, "instruction"), Input = Match(columns, "input"), Output = Match(columns, "output"),
            System = Match(columns, "system"), Style = Match(columns, "style"), History = Match(columns, "history"), FixedStyle = fixedStyle,
        };
        if (named.Problem() is null)
            return Score(good, named, "columns matched by name", 1.0);

        // Two text columns and no telling names: the usual source → target pair of a style-transfer spreadsheet.
        var text = columns.Where(c => c != named.Style && good.Count(r => r.Fields.GetValueOrDefault(c) is JsonValue v && v.TryGetValue<string>(out _)) > good.Count / 2).ToList();
        // A column repeating a few short values ("古风", "casual") is a label, not a side of the pair: it would make a
        // nonsense output if picked by position, and is most likely the style.
        var labels = text.Where(c => LooksLikeLabel(good, c)).ToList();
        var pair = text.Except(labels).ToList();
        if (pair.Count < 2) (pair, labels) = (text, []);
        if (pair.Count >= 2)
        {
            var guessed = named with { Input = named.Input ?? pair.First(c => c != named.Output), Output = named.Output ?? pair.Last(c => c != named.Input) };
            string label = "";
            if (guessed.Style is null && labels.FirstOrDefault() is { } style)
                (guessed, label) = (guessed with { Style = style }, $"; '{style}' repeats a few short values, taken as the style");
            if (guessed.Input != guessed.Output && guessed.Problem() is null)
                return Score(good, guessed, $"guessed from column order: '{guessed.Input}' → '{guessed.Output}'{label}", 0.6);
        }
        return new MappingProposal(named, 0, $"could not tell which columns hold the examples ({named.Problem()}); columns: {string.Join(", ", columns)}");
    }

    /// <summary>At least three sampled values, all short, with at most one distinct value per five rows (and at most 20).</summary>
    static bool LooksLikeLabel(List<SourceRecord> sample, string column)
    {
        var values = sample.Select(r => r.Fields.GetValueOrDefault(column) is JsonValue v && v.TryGetValue<string>(out var t) ? t : null)
            .OfType<string>().Where(t => t.Length > 0).ToList();
        if (values.Count < 3 || values.Any(v => v.Length > 20)) return false;
        int distinct = values.Distinct().Count();
        return distinct <= Math.Max(1, values.Count / 5) && distinct <= 20;
    }

    static string? Match(List<string> columns, string field) =>
        columns.FirstOrDefault(c => Synonyms[field].Contains(c.Trim().ToLowerInvariant()));

    static MappingProposal Score(List<SourceRecord> sample, FieldMapping mapping, string reason, double certainty)
    {
        double accepted = sample.Count(r => RowMapper.Map(r, mapping).Error is null) / (double)sample.Count;
        return new MappingProposal(mapping, Math.Round(accepted * certainty, 3), $"{reason}; {accepted:P0} of {sample.Count} sampled rows map cleanly");
    }
}
