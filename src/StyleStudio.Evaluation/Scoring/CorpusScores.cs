using System.Text.Json.Serialization;
using StyleStudio.Evaluation.Metrics;

namespace StyleStudio.Evaluation.Scoring;

/// <summary>What to score: hypotheses, one or more reference streams, optionally the sources they were rewritten from.</summary>
public sealed record ScoringInput(IReadOnlyList<string> Hypotheses, IReadOnlyList<IReadOnlyList<string>> References,
    IReadOnlyList<string>? Sources = null)
{
    /// <summary>Reads hypothesis, reference and source files of one segment per line; lengths must agree.</summary>
    public static ScoringInput FromFiles(string hypothesisFile, IReadOnlyList<string> referenceFiles, string? sourceFile = null)
    {
        if (referenceFiles.Count == 0) throw new ArgumentException("give at least one reference file");
        var hypotheses = LineFile.Read(hypothesisFile);
        var references = referenceFiles.Select(LineFile.Read).ToList();
        var sources = sourceFile is null ? null : LineFile.Read(sourceFile);
        var named = referenceFiles.Zip(references, (file, lines) => (file, lines.Count));
        if (sourceFile is not null) named = named.Append((sourceFile, sources!.Count));
        foreach (var (file, count) in named)
            if (count != hypotheses.Count)
                throw new LineFileException($"{file} has {count} lines but {hypothesisFile} has {hypotheses.Count}: one segment per line in each");
        return new ScoringInput(hypotheses, references, sources);
    }
}

/// <summary>
/// Corpus scores of rewrites against references, each as its reference implementation defines it: BLEU, chrF and
/// chrF++ (sacreBLEU 2.6), TER (sacreBLEU 2.6, <see cref="TerOptions"/>), METEOR (NLTK 3.8, 0–1); with sources, how
/// much of the source was copied: self-BLEU (BLEU against the source) and chrF against the source.
/// </summary>
/// <remarks>JSON names are the documented keys of <c>stylestudio metrics --json</c>.</remarks>
public sealed record CorpusScores(
    [property: JsonPropertyName("tokenize")] string Tokenize,
    [property: JsonPropertyName("segments")] int Segments,
    [property: JsonPropertyName("references")] int References,
    [property: JsonPropertyName("bleu")] double Bleu,
    [property: JsonPropertyName("chrf")] double ChrF,
    [property: JsonPropertyName("chrf_plus_plus")] double ChrFPlusPlus,
    [property: JsonPropertyName("ter")] double Ter,
    [property: JsonPropertyName("meteor")] double? Meteor,
    [property: JsonPropertyName("self_bleu")] double? SelfBleu,
    [property: JsonPropertyName("chrf_source")] double? ChrFSource)
{
    /// <param name="wordnet">METEOR's WordNet; defaults to the process-wide one (<see cref="WordNet.Open"/>).</param>
    /// <param name="withMeteor">False leaves METEOR out (null): no WordNet to compute it with.</param>
    public static CorpusScores Compute(ScoringInput input, MtTokenization tokenization, TerOptions? terOptions = null,
        WordNet? wordnet = null, bool withMeteor = true)
    {
        var (hypotheses, references) = (input.Hypotheses, input.References);
        double? selfBleu = null, chrFSource = null;
        if (input.Sources is { } sources)
        {
            selfBleu = Metrics.Bleu.Corpus(hypotheses, [sources], tokenization).Score;
            chrFSource = Metrics.ChrF.Characters.Corpus(hypotheses, [sources]);
        }
        return new CorpusScores(tokenization.Name(), hypotheses.Count, references.Count,
            Metrics.Bleu.Corpus(hypotheses, references, tokenization).Score,
            Metrics.ChrF.Characters.Corpus(hypotheses, references), Metrics.ChrF.PlusWords.Corpus(hypotheses, references),
            Metrics.Ter.Corpus(hypotheses, references, terOptions).Score,
            withMeteor ? Metrics.Meteor.Corpus(hypotheses, references, tokenization, wordnet) : null, selfBleu, chrFSource);
    }
}
