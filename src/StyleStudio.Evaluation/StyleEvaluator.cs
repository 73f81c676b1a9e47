using System.Text.Json.Serialization;
using StyleStudio.Data.Model;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Evaluation.Style;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;

namespace StyleStudio.Evaluation;

/// <summary>A reference answer's negative log-likelihood under the model: summed over its tokens, and how many.</summary>
public sealed record AnswerLikelihood(double SumNll, long Tokens)
{
    public double Perplexity => Math.Exp(SumNll / Math.Max(1, Tokens));
}

/// <summary>
/// One evaluated row: what was asked, what the data says, what the model wrote, and its sentence scores — against the
/// reference (BLEU, chrF, TER), against the source (chrF: how much was kept or copied), and the style judges: the
/// label the style classifier gives the rewrite, whether that is the target style, whether the base model finds it
/// fluent, and the joint score (see <see cref="JointScore"/>). Judges that did not run are null.
/// </summary>
/// <remarks>chrF's JSON names are written as sacreBLEU and `stylestudio metrics` write them (not "chr_f").</remarks>
public sealed record EvaluatedRow(string Style, string Prompt, string Reference, string Prediction, double Bleu,
    [property: JsonPropertyName("chrf")] double ChrF,
    AnswerLikelihood? ReferenceLikelihood = null, string Source = "", [property: JsonPropertyName("chrf_source")] double ChrFSource = 0, double Ter = 0,
    string? ClassifiedAs = null, bool? InStyle = null, double? Perplexity = null, bool? Fluent = null, double? Joint = null,
    double? Meteor = null);

/// <summary>
/// Corpus scores over a set of rows (all, or one style's): BLEU, chrF, chrF++ and TER against the references;
/// self-BLEU and chrF against the sources; style accuracy (share classified as the target style), the share judged
/// fluent and the mean joint score, where those judges ran; the perplexity of the reference answers under the model
/// (exp of the mean NLL per answer token, as the trainer's validation loss counts them), where the model was involved.
/// </summary>
public sealed record MetricSummary(string Style, int Rows, double Bleu, [property: JsonPropertyName("chrf")] double ChrF,
    [property: JsonPropertyName("chrf_plus_plus")] double ChrFPlusPlus, double? ReferencePerplexity,
    double Ter = 0, double SelfBleu = 0, [property: JsonPropertyName("chrf_source")] double ChrFSource = 0, double? StyleAccuracy = null, double? FluentShare = null, double? Joint = null,
    double? Meteor = null);

/// <summary>A row to score: its style, prompt, reference, the model's rewrite, optionally the source text and the
/// likelihoods the model gave (reference answer in context; rewrite and reference alone under the base, for fluency).</summary>
public sealed record EvaluationItem(string Style, string Prompt, string Reference, string Prediction, AnswerLikelihood? Likelihood = null,
    string? Source = null, AnswerLikelihood? PredictionFluency = null, AnswerLikelihood? ReferenceFluency = null);

/// <summary>What an evaluation found: the tokenization BLEU used, corpus scores overall and per style, every row, and
/// how good the style classifier was on texts it had not seen (null when no classifier judged).</summary>
public sealed record EvaluationReport(MtTokenization Tokenization, MetricSummary Overall, IReadOnlyList<MetricSummary> ByStyle,
    IReadOnlyList<EvaluatedRow> Rows, ClassifierQuality? Classifier = null, double? FluencyThreshold = null, string? MeteorMissing = null,
    Judging.JudgeReport? Judge = null, string? JudgeProblem = null);

/// <summary>A model in a style, as evaluation uses it: rewrite a text, and say how likely a given answer is.</summary>
public interface IStyleModel
{
    /// <summary>The model's greedy rewrite of <paramref name="query"/>.</summary>
    Task<string> RewriteAsync(string query, string? system, CancellationToken cancellation);

    /// <summary>The reference <paramref name="answer"/>'s likelihood, laid out as training lays out the pair.</summary>
    Task<AnswerLikelihood> LikelihoodAsync(string query, string answer, string? system, CancellationToken cancellation);

    /// <summary>The likelihood of <paramref name="text"/> alone under the base model (no adapter, no prompt).</summary>
    Task<AnswerLikelihood> FluencyAsync(string text, CancellationToken cancellation);
}

/// <summary>
/// Rewrites held-out rows with a model (prompted through the template it was trained with) and scores the rewrites
/// against the rows' outputs with sacreBLEU-exact BLEU, chrF and chrF++, overall and per style; also the perplexity of
/// the reference answers under the model (lower: the model has taken on the style the data shows).
/// </summary>
public static class StyleEvaluator
{
    public const string NoStyle = "(no style)";

    /// <param name="concurrency">Rows in flight at once: they decode in one batch on the serving engine.</param>
    /// <param name="classifier">Judges style accuracy; null leaves it out.</param>
    public static async Task<EvaluationReport> RunAsync(IStyleModel model, IReadOnlyList<DatasetRow> rows, MtTokenization? tokenization = null,
        IProgress<int>? progress = null, int concurrency = 8, CancellationToken cancellation = default, StyleClassifier? classifier = null)
    {
        var items = new EvaluationItem[rows.Count];
        int done = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellation },
            async (i, token) =>
            {
                var row = rows[i];
                var rewrite = model.RewriteAsync(row.Query, row.System, token);
                var likelihood = model.LikelihoodAsync(row.Query, row.Output, row.System, token);
                var referenceFluency = model.FluencyAsync(row.Output, token);
                var prediction = await rewrite;
                items[i] = new EvaluationItem(row.Style ?? NoStyle, row.Query, row.Output, prediction, await likelihood,
                    StyleClassifier.SourceText(row), await model.FluencyAsync(prediction, token), await referenceFluency);
                progress?.Report(Interlocked.Increment(ref done));
            });
        return Score(items, tokenization ?? Detect(rows.Select(r => r.Output)), classifier);
    }

    /// <summary>
    /// Scores given predictions (no model involved unless the items carry likelihoods); with a classifier, also style
    /// accuracy; with fluency likelihoods, fluency; with both, the joint score.
    /// </summary>
    public static EvaluationReport Score(IReadOnlyList<EvaluationItem> items, MtTokenization tokenization, StyleClassifier? classifier = null)
    {
        double? threshold = JointScore.FluencyThreshold(items.Select(i => i.ReferenceFluency).ToList());
        // METEOR needs WordNet's files; without them the report says so instead of failing the whole evaluation.
        WordNet? wordnet = null;
        string? meteorMissing = null;
        try { wordnet = WordNet.Open(); }
        catch (WordNetNotFoundException e) { meteorMissing = e.Message; }
        var rows = items.Select(i =>
        {
            double chrF = ChrF.Characters.Sentence(i.Prediction, [i.Reference]);
            string? label = classifier?.Classify(i.Prediction);
            bool? inStyle = label is null ? null : label == i.Style;
            double? perplexity = i.PredictionFluency is { Tokens: > 0 } f ? f.Perplexity : null;
            bool? fluent = threshold is null || i.PredictionFluency is null ? null : JointScore.IsFluent(i.PredictionFluency, threshold.Value);
            return new EvaluatedRow(i.Style, i.Prompt, i.Reference, i.Prediction,
                Metrics.Bleu.Sentence(i.Prediction, [i.Reference], tokenization).Score, chrF, i.Likelihood,
                i.Source ?? "", i.Source is null ? 0 : ChrF.Characters.Sentence(i.Prediction, [i.Source]),
                Ter.Sentence(i.Prediction, [i.Reference]).Score, label, inStyle, perplexity, fluent,
                JointScore.Of(inStyle, chrF, fluent),
                wordnet is null ? null : Meteor.Sentence(i.Prediction, [i.Reference], tokenization, wordnet));
        }).ToList();
        return new EvaluationReport(tokenization, Summary("all", rows, tokenization),
            rows.GroupBy(r => r.Style).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Summary(g.Key, g.ToList(), tokenization)).ToList(),
            rows, classifier?.Quality, threshold, meteorMissing);
    }

    /// <summary>
    /// The labelled tokens' summed NLL (labels as the trainer makes them: the answer and its end-of-turn), from the
    /// log-probability of each next token, <paramref name="nextTokenLogprobs"/>[t] = log p(ids[t+1] | ids[..t]).
    /// </summary>
    public static AnswerLikelihood Likelihood(EncodedExample example, IReadOnlyList<float> nextTokenLogprobs)
    {
        double sum = 0;
        long tokens = 0;
        for (int t = 0; t + 1 < example.Length; t++)
        {
            if (example.Labels[t + 1] == CausalLmLoss.Ignore) continue;
            sum -= nextTokenLogprobs[t];
            tokens++;
        }
        return new AnswerLikelihood(sum, tokens);
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
        IReadOnlyList<string> sources = rows.Select(r => r.Source).ToList();
        return new MetricSummary(style, rows.Count, Metrics.Bleu.Corpus(hypotheses, [references], tokenization).Score,
            ChrF.Characters.Corpus(hypotheses, [references]), ChrF.PlusWords.Corpus(hypotheses, [references]), perplexity,
            Ter.Corpus(hypotheses, [references]).Score, Metrics.Bleu.Corpus(hypotheses, [sources], tokenization).Score,
            ChrF.Characters.Corpus(hypotheses, [sources]),
            Share(rows.Select(r => r.InStyle)), Share(rows.Select(r => r.Fluent)),
            rows.All(r => r.Joint is not null) && rows.Count > 0 ? rows.Average(r => r.Joint!.Value) : null,
            rows.All(r => r.Meteor is not null) && rows.Count > 0 ? rows.Average(r => r.Meteor!.Value) : null);   // NLTK's corpus METEOR: the mean
    }

    static double? Share(IEnumerable<bool?> judged)
    {
        var list = judged.ToList();
        return list.Count > 0 && list.All(j => j is not null) ? list.Count(j => j == true) / (double)list.Count : null;
    }
}
