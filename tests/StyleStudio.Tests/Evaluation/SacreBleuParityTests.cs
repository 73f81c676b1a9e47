using System.Text.Json;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// BLEU, chrF and chrF++ against sacreBLEU 2.6's own numbers on our sample pairs (English with 13a, Chinese with zh),
/// recorded by tools/reference/make_metric_reference.py: tokenizations exactly, statistics exactly, scores to 1e-9.
/// </summary>
public class SacreBleuParityTests
{
    sealed record Block(string Name, MtTokenization Tokenization, string[] Hypotheses, string[] References, string[] Tokenized,
        JsonElement Corpus, double CorpusChrF, double CorpusChrFPlus, double[] SentenceBleu, double[] SentenceChrF);

    static IEnumerable<Block> Blocks()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "metrics", "sacrebleu.json")));
        foreach (var b in json.RootElement.GetProperty("blocks").EnumerateArray())
        {
            string[] Strings(string name) => b.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
            double[] Doubles(string name) => b.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            yield return new Block(b.GetProperty("name").GetString()!,
                b.GetProperty("tokenize").GetString() == "zh" ? MtTokenization.Chinese : MtTokenization.Thirteen,
                Strings("hypotheses"), Strings("references"), Strings("tokenized"), b.GetProperty("corpus_bleu").Clone(),
                b.GetProperty("corpus_chrf").GetDouble(), b.GetProperty("corpus_chrf_pp").GetDouble(),
                Doubles("sentence_bleu"), Doubles("sentence_chrf"));
        }
    }

    public static TheoryData<string> Names => new(Blocks().Select(b => b.Name));

    static Block Get(string name) => Blocks().Single(b => b.Name == name);

    [Theory, MemberData(nameof(Names))]
    public void Tokenization_matches(string name)
    {
        var block = Get(name);
        var lines = block.Hypotheses.Concat(block.References).ToArray();
        for (int i = 0; i < lines.Length; i++)
            Assert.Equal(block.Tokenized[i], MtTokenizer.Tokenize(lines[i], block.Tokenization));
    }

    [Theory, MemberData(nameof(Names))]
    public void Corpus_bleu_and_its_statistics_match(string name)
    {
        var block = Get(name);
        var score = Bleu.Corpus(block.Hypotheses, [block.References], block.Tokenization);
        Assert.Equal(block.Corpus.GetProperty("counts").EnumerateArray().Select(e => e.GetInt64()), score.Statistics.Matches);
        Assert.Equal(block.Corpus.GetProperty("totals").EnumerateArray().Select(e => e.GetInt64()), score.Statistics.Totals);
        Assert.Equal(block.Corpus.GetProperty("sys_len").GetInt64(), score.Statistics.HypothesisLength);
        Assert.Equal(block.Corpus.GetProperty("ref_len").GetInt64(), score.Statistics.ReferenceLength);
        Assert.Equal(block.Corpus.GetProperty("bp").GetDouble(), score.BrevityPenalty, 1e-12);
        Assert.Equal(block.Corpus.GetProperty("score").GetDouble(), score.Score, 1e-9);
    }

    [Theory, MemberData(nameof(Names))]
    public void Sentence_bleu_matches(string name)
    {
        var block = Get(name);
        for (int i = 0; i < block.Hypotheses.Length; i++)
            Assert.Equal(block.SentenceBleu[i], Bleu.Sentence(block.Hypotheses[i], [block.References[i]], block.Tokenization).Score, 1e-9);
    }

    [Theory, MemberData(nameof(Names))]
    public void ChrF_and_chrF_plus_plus_match(string name)
    {
        var block = Get(name);
        Assert.Equal(block.CorpusChrF, ChrF.Characters.Corpus(block.Hypotheses, [block.References]), 1e-9);
        Assert.Equal(block.CorpusChrFPlus, ChrF.PlusWords.Corpus(block.Hypotheses, [block.References]), 1e-9);
        for (int i = 0; i < block.Hypotheses.Length; i++)
            Assert.Equal(block.SentenceChrF[i], ChrF.Characters.Sentence(block.Hypotheses[i], [block.References[i]]), 1e-9);
    }
}
