using StyleStudio.Data.Annotation;
using StyleStudio.Evaluation.Metrics;

namespace StyleStudio.Web.Annotation;

/// <summary>One item of the agreement sample that both of its annotators wrote, with their chrF.</summary>
public sealed record AgreementPair(int Index, AnnotationSubmission First, AnnotationSubmission Second, double ChrF);

/// <summary>How alike two annotators' versions of the same texts are.</summary>
/// <param name="Sample">Items in the agreement sample.</param>
/// <param name="Pairs">Those of them both annotators have written (what the scores are computed over).</param>
/// <param name="MeanSentenceChrF">The mean of the items' chrF; null with no pairs.</param>
/// <param name="CorpusChrF">chrF over all pairs' n-gram counts at once; null with no pairs.</param>
public sealed record AgreementReport(int Sample, IReadOnlyList<AgreementPair> Pairs, double? MeanSentenceChrF, double? CorpusChrF);

/// <summary>
/// Agreement between annotators as chrF (sacreBLEU's defaults, <see cref="ChrF.Characters"/>). chrF weighs recall over
/// precision, so it is not symmetric; neither annotator is the reference, so each score is the mean of both directions.
/// </summary>
public static class AnnotationAgreement
{
    public static AgreementReport Of(IEnumerable<AnnotationItem> items)
    {
        var sample = items.Where(i => i.Double).ToList();
        var pairs = sample.Where(i => i.Submissions.Count >= 2).Select(item =>
        {
            var written = item.Submissions.OrderBy(s => s.SubmittedUtc).ToList();
            return new AgreementPair(item.Index, written[0], written[1], Sentence(written[0].Text, written[1].Text));
        }).ToList();
        if (pairs.Count == 0) return new AgreementReport(sample.Count, pairs, null, null);
        var first = pairs.Select(p => p.First.Text).ToList();
        var second = pairs.Select(p => p.Second.Text).ToList();
        double corpus = (ChrF.Characters.Corpus(first, [second]) + ChrF.Characters.Corpus(second, [first])) / 2;
        return new AgreementReport(sample.Count, pairs, pairs.Average(p => p.ChrF), corpus);
    }

    /// <summary>chrF of two texts, the mean of both directions.</summary>
    public static double Sentence(string a, string b) => (ChrF.Characters.Sentence(a, [b]) + ChrF.Characters.Sentence(b, [a])) / 2;
}
