using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Metrics;

namespace StyleStudio.Tests.Evaluation;

public class StyleEvaluatorTests
{
    [Fact]
    public void Scores_per_style_are_the_corpus_metrics_of_that_styles_rows()
    {
        (string, string, string, string)[] items =
        [
            ("古风", "今天天气很好。", "今日天朗气清。", "今日天气清朗。"),
            ("古风", "我很想念你。", "思君甚切。", "思君切。"),
            ("casual", "Please be seated.", "Sit down, guys.", "Sit down guys!"),
        ];
        var report = StyleEvaluator.Score(items, MtTokenization.Chinese);
        Assert.Equal(["casual", "古风"], report.ByStyle.Select(s => s.Style));
        var classical = report.ByStyle.Single(s => s.Style == "古风");
        Assert.Equal(2, classical.Rows);
        Assert.Equal(Bleu.Corpus(["今日天气清朗。", "思君切。"], [["今日天朗气清。", "思君甚切。"]], MtTokenization.Chinese).Score, classical.Bleu);
        Assert.Equal(ChrF.Characters.Corpus(["今日天气清朗。", "思君切。"], [["今日天朗气清。", "思君甚切。"]]), classical.ChrF);
        Assert.Equal(3, report.Overall.Rows);
        Assert.Equal(ChrF.Characters.Sentence("Sit down guys!", ["Sit down, guys."]), report.Rows[2].ChrF);
    }

    [Theory]
    [InlineData(new[] { "今日天朗气清。", "思君甚切。" }, MtTokenization.Chinese)]
    [InlineData(new[] { "Heads up, the meeting's off.", "Sit down, guys." }, MtTokenization.Thirteen)]
    [InlineData(new[] { "GPT-4模型在2024年发布，效果提升了35%。" }, MtTokenization.Chinese)]
    public void Tokenization_follows_the_references_script(string[] references, MtTokenization expected) =>
        Assert.Equal(expected, StyleEvaluator.Detect(references));
}
