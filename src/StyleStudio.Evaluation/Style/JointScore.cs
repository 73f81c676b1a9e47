namespace StyleStudio.Evaluation.Style;

/// <summary>
/// The headline number of an evaluation: per sentence, style × content × fluency, averaged over the sentences — the
/// J(ACC, SIM, FL) aggregate of Krishna et al. 2020 ("Reformulating Unsupervised Style Transfer as Paraphrase
/// Generation", §5), which combines the three per sentence because each alone is easy to game (copying the source
/// keeps all the content; a stock phrase in the style is always "in style").
/// <list type="bullet">
/// <item>style: 1 when the style classifier gives the rewrite its target style, else 0;</item>
/// <item>content: the rewrite's sentence chrF against the reference, on a 0–1 scale;</item>
/// <item>fluency: 1 when the base model's perplexity of the rewrite (alone) is no higher than the 90th percentile of
/// its perplexities of the reference answers (which are fluent by assumption), else 0. An empty rewrite is not fluent.</item>
/// </list>
/// A judge that did not run (no classifier, no model) is left out of the product, and the page says which ran.
/// </summary>
public static class JointScore
{
    public const double FluencyPercentile = 0.9;

    public static double? Of(bool? inStyle, double chrF, bool? fluent)
    {
        if (inStyle is null && fluent is null) return null;
        double score = chrF / 100;
        if (inStyle is { } s) score *= s ? 1 : 0;
        if (fluent is { } f) score *= f ? 1 : 0;
        return score;
    }

    /// <summary>The 90th percentile (linear interpolation, as numpy's default) of the references' perplexities; null without them.</summary>
    public static double? FluencyThreshold(IReadOnlyList<AnswerLikelihood?> references)
    {
        var values = references.Where(r => r is { Tokens: > 0 }).Select(r => r!.Perplexity).Order().ToList();
        if (values.Count == 0 || values.Count < references.Count) return null;
        double position = FluencyPercentile * (values.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, values.Count - 1);
        return values[below] + (values[above] - values[below]) * (position - below);
    }

    public static bool IsFluent(AnswerLikelihood prediction, double threshold) => prediction.Tokens > 0 && prediction.Perplexity <= threshold;
}
