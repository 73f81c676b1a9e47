using StyleStudio.Data.Model;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Training;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using static TorchSharp.torch;

namespace StyleStudio.Evaluation;

/// <summary>A reference answer's negative log-likelihood under the model: summed over its tokens, and how many.</summary>
public sealed record AnswerLikelihood(double SumNll, long Tokens)
{
    public double Perplexity => Math.Exp(SumNll / Math.Max(1, Tokens));
}

/// <summary>One evaluated row: what was asked, what the data says, what the model wrote, the sentence scores, and how
/// likely the model finds the reference answer (null when only texts were scored).</summary>
public sealed record EvaluatedRow(string Style, string Prompt, string Reference, string Prediction, double Bleu, double ChrF,
    AnswerLikelihood? ReferenceLikelihood = null);

/// <summary>Corpus scores over a set of rows (all, or one style's); perplexity of the reference answers under the model
/// (exp of the mean NLL per answer token, as the trainer's validation loss counts them), where the model was involved.</summary>
public sealed record MetricSummary(string Style, int Rows, double Bleu, double ChrF, double ChrFPlusPlus, double? ReferencePerplexity);

/// <summary>A row to score: its style, prompt, reference, the model's rewrite, and optionally the reference's likelihood.</summary>
public sealed record EvaluationItem(string Style, string Prompt, string Reference, string Prediction, AnswerLikelihood? Likelihood = null);

/// <summary>What an evaluation found: the tokenization BLEU used, corpus scores overall and per style, and every row.</summary>
public sealed record EvaluationReport(MtTokenization Tokenization, MetricSummary Overall, IReadOnlyList<MetricSummary> ByStyle,
    IReadOnlyList<EvaluatedRow> Rows);

/// <summary>
/// Rewrites held-out rows with a model (prompted through the template it was trained with) and scores the rewrites
/// against the rows' outputs with sacreBLEU-exact BLEU, chrF and chrF++, overall and per style; also the perplexity of
/// the reference answers under the model (lower: the model has taken on the style the data shows).
/// </summary>
public static class StyleEvaluator
{
    public const string NoStyle = "(no style)";

    public static EvaluationReport Run(PretrainedModel model, PromptTemplate template, IReadOnlyList<DatasetRow> rows,
        SamplingOptions options, MtTokenization? tokenization = null, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        var encoder = new ExampleEncoder(template, model.RequireTokenizer(), model.Config.MaxPositionEmbeddings);
        var items = new List<EvaluationItem>();
        foreach (var row in rows)
        {
            cancellation.ThrowIfCancellationRequested();
            var prompt = TemplatedPrompt.Create(model, template, row.Query, row.System);
            var generated = new TextGenerator(model, prompt.StopIds).Generate(prompt.Ids, options, cancellation: cancellation);
            var likelihood = Likelihood(model, encoder.Encode(new Conversation([new Turn(row.Query, row.Output)], row.System)));
            items.Add(new EvaluationItem(row.Style ?? NoStyle, row.Query, row.Output, generated.Text, likelihood));
            progress?.Report(items.Count);
        }
        return Score(items, tokenization ?? Detect(rows.Select(r => r.Output)));
    }

    /// <summary>Scores given predictions (no model involved unless the items carry likelihoods).</summary>
    public static EvaluationReport Score(IReadOnlyList<EvaluationItem> items, MtTokenization tokenization)
    {
        var rows = items.Select(i => new EvaluatedRow(i.Style, i.Prompt, i.Reference, i.Prediction,
            Metrics.Bleu.Sentence(i.Prediction, [i.Reference], tokenization).Score,
            ChrF.Characters.Sentence(i.Prediction, [i.Reference]), i.Likelihood)).ToList();
        return new EvaluationReport(tokenization, Summary("all", rows, tokenization),
            rows.GroupBy(r => r.Style).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Summary(g.Key, g.ToList(), tokenization)).ToList(),
            rows);
    }

    /// <summary>The labelled tokens' summed NLL under the model (labels as the trainer makes them: the answer and its end-of-turn).</summary>
    public static AnswerLikelihood Likelihood(PretrainedModel model, EncodedExample example)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = model.Network.Device;
        var ids = tensor(example.InputIds.Select(i => (long)i).ToArray(), [1, example.Length], device: device);
        var labels = tensor(example.Labels, [1, example.Length], device: device);
        var logits = model.Network.Forward(new ForwardInput(ids, arange(example.Length, device: device).unsqueeze(0)));
        long tokens = example.Labels.Skip(1).LongCount(l => l != CausalLmLoss.Ignore);
        return new AnswerLikelihood(CausalLmLoss.Sum(logits, labels).item<float>(), tokens);
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
        double? perplexity = rows.All(r => r.ReferenceLikelihood is not null)
            ? new AnswerLikelihood(rows.Sum(r => r.ReferenceLikelihood!.SumNll), rows.Sum(r => r.ReferenceLikelihood!.Tokens)).Perplexity
            : null;
        return new MetricSummary(style, rows.Count, Metrics.Bleu.Corpus(hypotheses, [references], tokenization).Score,
            ChrF.Characters.Corpus(hypotheses, [references]), ChrF.PlusWords.Corpus(hypotheses, [references]), perplexity);
    }
}
