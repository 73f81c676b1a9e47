using StyleStudio.Evaluation;
using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Scoring;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using static TorchSharp.torch;
using StyleStudio.Evaluation.Metrics;

namespace StyleStudio.Tests.Evaluation;

public class StyleEvaluatorTests
{
    [Fact]
    public void Scores_per_style_are_the_corpus_metrics_of_that_styles_rows()
    {
        EvaluationItem[] items =
        [
            new("古风", "今天天气很好。", "今日天朗气清。", "今日天气清朗。"),
            new("古风", "我很想念你。", "思君甚切。", "思君切。"),
            new("casual", "Please be seated.", "Sit down, guys.", "Sit down guys!"),
        ];
        var report = StyleEvaluator.Score(items, MtTokenization.Chinese);
        Assert.Equal(["casual", "古风"], report.ByStyle.Select(s => s.Style));
        var classical = report.ByStyle.Single(s => s.Style == "古风");
        Assert.Equal(2, classical.Rows);
        Assert.Equal(Bleu.Corpus(["今日天气清朗。", "思君切。"], [["今日天朗气清。", "思君甚切。"]], MtTokenization.Chinese).Score, classical.Bleu);
        Assert.Equal(ChrF.Characters.Corpus(["今日天气清朗。", "思君切。"], [["今日天朗气清。", "思君甚切。"]]), classical.ChrF);
        Assert.Equal(3, report.Overall.Rows);
        Assert.Equal(ChrF.Characters.Sentence("Sit down guys!", ["Sit down, guys."]), report.Rows[2].ChrF);
        Assert.Null(report.Overall.ReferencePerplexity);   // texts only: no model, no likelihood
    }

    [Fact]
    public async Task Reference_likelihood_of_every_token_through_the_serving_engine_equals_the_perplexity_scorers()
    {
        // With the prompt trained on too, every token after the first is labelled: the summed NLL must then be the
        // perplexity scorer's (itself held to transformers' loss) times the token count.
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var encoder = new ExampleEncoder(PromptTemplates.Qwen, model.RequireTokenizer(), 1024, true);
        var example = encoder.Encode(new Conversation([new Turn("今天天气很好。", "今日天朗气清。")]));
        using var engine = new StyleStudio.Training.Serving.BatchEngine(model.Network, new(Rows: 2, SlotTokens: 256));
        var likelihood = StyleEvaluator.Likelihood(example, await engine.TokenLogprobsAsync(example.InputIds, adapter: null));
        var reference = PerplexityScorer.Score(model.Network, example.InputIds);
        Assert.Equal(reference.PredictedTokens, likelihood.Tokens);
        Assert.Equal(reference.MeanNll, likelihood.SumNll / likelihood.Tokens, 1e-5);
    }

    [Theory]
    [InlineData(new[] { "今日天朗气清。", "思君甚切。" }, MtTokenization.Chinese)]
    [InlineData(new[] { "Heads up, the meeting's off.", "Sit down, guys." }, MtTokenization.Thirteen)]
    [InlineData(new[] { "GPT-4模型在2024年发布，效果提升了35%。" }, MtTokenization.Chinese)]
    public void Tokenization_follows_the_references_script(string[] references, MtTokenization expected) =>
        Assert.Equal(expected, StyleEvaluator.Detect(references));
}
