using System.Text.Json;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Evaluation.Scoring;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// `stylestudio metrics`' numbers against sacreBLEU 2.6's own over the committed line files (Fixtures/metrics/cli;
/// values from tools/reference/make_metrics_cli_reference.py, run on the GPU box where sacreBLEU is installed):
/// the intl / char / none tokenizations exactly, multi-reference BLEU with its statistics, chrF, chrF++, self-BLEU and
/// TER with each Tercom option, corpus and sentence, to 1e-9.
/// </summary>
public class MetricsParityTests
{
    static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "metrics", "metrics_cli.json"))).RootElement;

    public static TheoryData<string> Cases => new(Reference.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("case").GetString()!));

    static JsonElement Case(string name) => Reference.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("case").GetString() == name);

    internal static string Folder(string name) => Path.Combine(Fixtures.Root, "metrics", "cli", name);

    static ScoringInput Input(string name, JsonElement entry) => ScoringInput.FromFiles(Path.Combine(Folder(name), "hyp.txt"),
        entry.GetProperty("references").EnumerateArray().Select(r => Path.Combine(Folder(name), r.GetString()!)).ToList(),
        Path.Combine(Folder(name), "src.txt"));

    [Theory, MemberData(nameof(Cases))]
    public void Tokenizations_match(string name)
    {
        var entry = Case(name);
        var input = Input(name, entry);
        var lines = input.Hypotheses.Concat(input.References.SelectMany(r => r)).ToList();
        foreach (var tokenized in entry.GetProperty("tokenized").EnumerateObject())
        {
            var expected = tokenized.Value.EnumerateArray().Select(e => e.GetString()).ToList();
            var tokenization = MtTokenizationNames.Parse(tokenized.Name);
            for (int i = 0; i < lines.Count; i++)
                Assert.True(expected[i] == MtTokenizer.Tokenize(lines[i], tokenization),
                    $"{tokenized.Name} line {i}: expected «{expected[i]}», got «{MtTokenizer.Tokenize(lines[i], tokenization)}»");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Multi_reference_bleu_chrf_and_self_bleu_match(string name)
    {
        var entry = Case(name);
        var input = Input(name, entry);
        foreach (var bleu in entry.GetProperty("bleu").EnumerateObject())
        {
            var tokenization = MtTokenizationNames.Parse(bleu.Name);
            var scores = CorpusScores.Compute(input, tokenization);
            var statistics = Bleu.Corpus(input.Hypotheses, input.References, tokenization).Statistics;
            Assert.Equal(bleu.Value.GetProperty("counts").EnumerateArray().Select(e => e.GetInt64()), statistics.Matches);
            Assert.Equal(bleu.Value.GetProperty("totals").EnumerateArray().Select(e => e.GetInt64()), statistics.Totals);
            Assert.Equal(bleu.Value.GetProperty("ref_len").GetInt64(), statistics.ReferenceLength);
            Assert.Equal(bleu.Value.GetProperty("score").GetDouble(), scores.Bleu, 1e-9);
            Assert.Equal(entry.GetProperty("self_bleu").GetProperty(bleu.Name).GetDouble(), scores.SelfBleu!.Value, 1e-9);
            Assert.Equal(entry.GetProperty("chrf").GetDouble(), scores.ChrF, 1e-9);
            Assert.Equal(entry.GetProperty("chrf_plus_plus").GetDouble(), scores.ChrFPlusPlus, 1e-9);
            Assert.Equal(entry.GetProperty("chrf_source").GetDouble(), scores.ChrFSource!.Value, 1e-9);
        }
    }

    public static TheoryData<string, string> TerCases => new(
        from c in Reference.GetProperty("cases").EnumerateArray()
        from v in c.GetProperty("ter").EnumerateObject()
        select (c.GetProperty("case").GetString()!, v.Name));

    [Theory, MemberData(nameof(TerCases))]
    public void Ter_matches_with_each_tercom_option(string name, string variant)
    {
        var entry = Case(name);
        var input = Input(name, entry);
        var expected = entry.GetProperty("ter").GetProperty(variant);
        var options = variant switch
        {
            "default" => TerOptions.Default,
            "normalized" => new TerOptions(Normalized: true),
            "normalized-asian" => new TerOptions(Normalized: true, AsianSupport: true),
            "case-sensitive" => new TerOptions(CaseSensitive: true),
            "no-punct-asian" => new TerOptions(NoPunctuation: true, AsianSupport: true),
            _ => throw new ArgumentException(variant),
        };
        var corpus = Ter.Corpus(input.Hypotheses, input.References, options);
        Assert.Equal(expected.GetProperty("num_edits").GetDouble(), corpus.Edits);
        Assert.Equal(expected.GetProperty("ref_length").GetDouble(), corpus.ReferenceLength, 1e-9);
        Assert.Equal(expected.GetProperty("score").GetDouble(), corpus.Score, 1e-9);
        var sentences = expected.GetProperty("sentences").EnumerateArray().Select(e => e.GetDouble()).ToList();
        for (int i = 0; i < sentences.Count; i++)
            Assert.True(Math.Abs(sentences[i] - Ter.Sentence(input.Hypotheses[i], input.References.Select(r => r[i]).ToList(), options).Score) < 1e-9,
                $"segment {i}: sacreBLEU {sentences[i]}, ours {Ter.Sentence(input.Hypotheses[i], input.References.Select(r => r[i]).ToList(), options).Score}");
    }

    [Fact]
    public void Python_lowercasing_rules_apply()
    {
        Assert.Equal("σας οδος. σ aσ'b i\u0307x ǆ ß", PythonText.Lower("ΣΑΣ ΟΔΟΣ. Σ aΣ'b İx ǅ ẞ"));
    }
}
