using StyleStudio.Data.Model;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Templates;

namespace StyleStudio.Evaluation;

/// <summary>One evaluated row: what was asked, what the data says, what the model wrote, and the sentence scores.</summary>
public sealed record EvaluatedRow(string Style, string Prompt, string Reference, string Prediction, double Bleu, double ChrF);

/// <summary>Corpus scores over a set of rows (all, or one style's).</summary>
public sealed record MetricSummary(string Style, int Rows, double Bleu, double ChrF, double ChrFPlusPlus);

/// <summary>What an evaluation found: the tokenization BLEU used, corpus scores overall and per style, and every row.</summary>
public sealed record EvaluationReport(MtTokenization Tokenization, MetricSummary Overall, IReadOnlyList<MetricSummary> ByStyle,
    IReadOnlyList<EvaluatedRow> Rows);

/// <summary>
/// Rewrites held-out rows with a model (prompted through the template it was trained with) and scores the rewrites
/// against the rows' outputs with sacreBLEU-exact BLEU, chrF and chrF++, overall and per style.
/// </summary>
public static class StyleEvaluator
{
    public const string NoStyle = "(no style)";

    public static EvaluationReport Run(PretrainedModel model, PromptTemplate template, IReadOnlyList<DatasetRow> rows,
        SamplingOptions options, MtTokenization? tokenization = null, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var predictions = new List<(string Style, string Prompt, string Reference, string Prediction)>();
        foreach (var row in rows)
        {
            cancellation.ThrowIfCancellationRequested();
            var prompt = TemplatedPrompt.Create(model, template, row.Query, row.System);
            var generated = new TextGenerator(model, prompt.StopIds).Generate(prompt.Ids, options, cancellation: cancellation);
            predictions.Add((row.Style ?? NoStyle, row.Query, row.Output, generated.Text));
            progress?.Report(predictions.Count);
        }
        return Score(predictions, tokenization ?? Detect(rows.Select(r => r.Output)));
    }

    /// <summary>Scores given predictions (no model involved).</summary>
    public static EvaluationReport Score(IReadOnlyList<(string Style, string Prompt, string Reference, string Prediction)> items,
        MtTokenization tokenization)
    {
        var rows = items.Select(i => new EvaluatedRow(i.Style, i.Prompt, i.Reference, i.Prediction,
            Metrics.Bleu.Sentence(i.Prediction, [i.Reference], tokenization).Score,
            ChrF.Characters.Sentence(i.Prediction, [i.Reference]))).ToList();
        return new EvaluationReport(tokenization, Summary("all", rows, tokenization),
            rows.GroupBy(r => r.Style).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Summary(g.Key, g.ToList(), tokenization)).ToList(),
            rows);
    }

    /// <summary>zh when the references are mostly CJK (as sacreBLEU's users choose for Chinese targets), else 13a.</summary>
    public static MtTokenization Detect(IEnumerable<string> references)
    {
        long cjk = 0, letters = 0;
        foreach (var rune in references.SelectMany(r => r.EnumerateRunes()))
        {
            if (!System.Text.Rune.IsLetter(rune)) continue;
            letters++;
            if (rune.Value is >= 0x3400 and <= 0x9FFF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x2FFFF) cjk++;
        }
        return letters > 0 && cjk * 2 >= letters ? MtTokenization.Chinese : MtTokenization.Thirteen;
    }

    static MetricSummary Summary(string style, IReadOnlyList<EvaluatedRow> rows, MtTokenization tokenization)
    {
        var hypotheses = rows.Select(r => r.Prediction).ToList();
        IReadOnlyList<string> references = rows.Select(r => r.Reference).ToList();
        return new MetricSummary(style, rows.Count, Metrics.Bleu.Corpus(hypotheses, [references], tokenization).Score,
            ChrF.Characters.Corpus(hypotheses, [references]), ChrF.PlusWords.Corpus(hypotheses, [references]));
    }
}
