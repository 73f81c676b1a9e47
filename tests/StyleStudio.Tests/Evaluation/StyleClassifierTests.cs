using StyleStudio.Data.Import;
using StyleStudio.Data.Model;
using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Evaluation.Style;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// The style judge on the sample datasets: it must tell the styles and the sources apart on texts it did not train on,
/// and the joint score must not reward the two cheap systems — copying the source, or one stock sentence in the style.
/// </summary>
public class StyleClassifierTests(ITestOutputHelper output)
{
    static List<DatasetRow> Sample(string name) =>
        DatasetImporter.ReadAll(Path.Combine(Fixtures.RepositoryRoot(), "samples", name + ".jsonl")).Rows.ToList();

    [Fact]
    public void Two_chinese_styles_and_their_sources_are_told_apart_on_held_out_texts()
    {
        var rows = Sample("modern-to-classical").Concat(Sample("official-to-social")).ToList();
        var classifier = StyleClassifier.Train(rows);
        output.WriteLine($"held-out accuracy {classifier.Quality.Accuracy:P1} over {classifier.Quality.HeldOutTexts}: " +
            string.Join(", ", classifier.Quality.PerLabel.Select(l => $"{l.Label} {l.Recall:P0} of {l.HeldOut}")));
        Assert.Equal(3, classifier.Labels.Count);
        Assert.True(classifier.Quality.HeldOutTexts >= rows.Count * 2 / 5 - 3);
        Assert.True(classifier.Quality.Accuracy >= 0.85, $"held-out accuracy {classifier.Quality.Accuracy:P1}");   // 96.3 % measured
        Assert.Equal("古风", classifier.Classify("吾与汝同游于山水之间，不亦乐乎？"));
    }

    [Fact]
    public void English_formal_and_casual_are_told_apart()
    {
        var classifier = StyleClassifier.Train(Sample("formal-to-casual"));
        output.WriteLine($"held-out accuracy {classifier.Quality.Accuracy:P1} over {classifier.Quality.HeldOutTexts}");
        // Short sentences, many of them plain in both registers: 81.7 % measured (chance: 50 %).
        Assert.True(classifier.Quality.Accuracy >= 0.75, $"held-out accuracy {classifier.Quality.Accuracy:P1}");
    }

    [Fact]
    public void Training_twice_gives_the_same_classifier()
    {
        var rows = Sample("formal-to-casual");
        var (a, b) = (StyleClassifier.Train(rows), StyleClassifier.Train(rows));
        Assert.Equal(a.Quality.Accuracy, b.Quality.Accuracy);
        Assert.All(rows.Take(60), r => Assert.Equal(a.Classify(r.Input ?? r.Instruction), b.Classify(r.Input ?? r.Instruction)));
    }

    [Fact]
    public void The_joint_score_ranks_real_rewrites_above_copying_and_stock_phrases()
    {
        var rows = Sample("modern-to-classical");
        var classifier = StyleClassifier.Train(rows);
        var held = rows.Take(60).ToList();
        EvaluationReport Judge(Func<DatasetRow, string> system) => StyleEvaluator.Score(
            held.Select(r => new EvaluationItem(r.Style!, r.Query, r.Output, system(r), Source: StyleClassifier.SourceText(r))).ToList(),
            MtTokenization.Chinese, classifier);

        var rewrites = Judge(r => r.Output);                     // what the references say: in style, all content
        var copies = Judge(StyleClassifier.SourceText);          // the source as it came: content kept, no style
        var stock = Judge(_ => "善哉善哉，吾不知也。");            // always in style, no content
        output.WriteLine($"joint: rewrites {rewrites.Overall.Joint:F3}, copies {copies.Overall.Joint:F3}, stock {stock.Overall.Joint:F3}");
        Assert.True(copies.Overall.SelfBleu > 99);
        Assert.True(copies.Overall.StyleAccuracy < 0.2, $"copies in style: {copies.Overall.StyleAccuracy:P0}");
        Assert.True(rewrites.Overall.StyleAccuracy > 0.9, $"rewrites in style: {rewrites.Overall.StyleAccuracy:P0}");
        Assert.True(rewrites.Overall.Joint > 0.8);
        Assert.True(copies.Overall.Joint < 0.2 && stock.Overall.Joint < 0.2);
        Assert.Null(rewrites.Overall.FluentShare);               // no model: fluency not judged
    }

    [Fact]
    public void Fluency_threshold_is_numpys_linear_90th_percentile_of_the_reference_perplexities()
    {
        AnswerLikelihood Ppl(double perplexity) => new(Math.Log(perplexity) * 4, 4);
        var threshold = JointScore.FluencyThreshold([Ppl(1), Ppl(2), Ppl(3), Ppl(4), Ppl(5)])!.Value;
        Assert.Equal(4.6, threshold, 1e-9);                      // numpy.percentile([1,2,3,4,5], 90) == 4.6
        Assert.True(JointScore.IsFluent(Ppl(4.5), threshold));
        Assert.False(JointScore.IsFluent(Ppl(4.7), threshold));
        Assert.False(JointScore.IsFluent(new AnswerLikelihood(0, 0), threshold));
        Assert.Null(JointScore.FluencyThreshold([Ppl(1), null]));
        Assert.Equal(0.5, JointScore.Of(true, 50, true));
        Assert.Equal(0, JointScore.Of(false, 90, true));
        Assert.Null(JointScore.Of(null, 90, null));
    }
}
