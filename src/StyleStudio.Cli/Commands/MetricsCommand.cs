using System.CommandLine;
using StyleStudio.Evaluation;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Evaluation.Scoring;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio metrics --hyp FILE --ref FILE [--ref FILE …] [--src FILE] [--tokenize 13a|zh|intl|char|none]
/// [--lang en|zh] [--wordnet DIR] [--json]</c>: scores rewrites made anywhere (one segment per line) as sacreBLEU and NLTK do.
/// </summary>
static class MetricsCommand
{
    public static Command Create()
    {
        var hypotheses = new Option<FileInfo>("--hyp") { Description = "the rewrites, one per line (UTF-8)", Required = true };
        var references = new Option<FileInfo[]>("--ref") { Description = "a reference file; several references: repeat --ref, or list them after one --ref", Required = true, AllowMultipleArgumentsPerToken = true };
        var sources = new Option<FileInfo?>("--src") { Description = "the texts that were rewritten: adds self-BLEU and chrF against them (how much was copied)" };
        var tokenize = new Option<string?>("--tokenize") { Description = "BLEU/METEOR tokenization (sacreBLEU's): 13a (default), zh, intl, char, none" };
        tokenize.AcceptOnlyFromAmong([.. MtTokenizationNames.All]);
        var lang = new Option<string?>("--lang") { Description = "target language: zh selects the zh tokenization, en 13a" };
        lang.AcceptOnlyFromAmong("en", "zh");
        var wordnet = new Option<DirectoryInfo?>("--wordnet") { Description = $"METEOR: the WordNet 3.0 folder (default: ${WordNetLocator.EnvironmentVariable}, /usr/share/wordnet, nltk_data)" };
        var terNormalized = new Option<bool>("--ter-normalized") { Description = "TER: Tercom's normalization (punctuation split off)" };
        var terAsian = new Option<bool>("--ter-asian-support") { Description = "TER: with --ter-normalized, Chinese/Japanese characters apart" };
        var terCase = new Option<bool>("--ter-case-sensitive") { Description = "TER: keep case" };
        var terNoPunct = new Option<bool>("--ter-no-punct") { Description = "TER: remove punctuation" };
        var json = CommonOptions.Json();
        var command = new Command("metrics", "Score rewrites against references: BLEU, chrF, chrF++, TER (sacreBLEU 2.6), METEOR (NLTK 3.8)")
        {
            hypotheses, references, sources, tokenize, lang, wordnet, terNormalized, terAsian, terCase, terNoPunct, json,
        };
        command.SetAction(parse => CliOutput.Guard(() =>
        {
            var input = ScoringInput.FromFiles(parse.GetValue(hypotheses)!.FullName,
                parse.GetValue(references)!.Select(f => f.FullName).ToList(), parse.GetValue(sources)?.FullName);
            var tokenization = parse.GetValue(tokenize) is { } name ? MtTokenizationNames.Parse(name)
                : parse.GetValue(lang) == "zh" ? MtTokenization.Chinese : MtTokenization.Thirteen;
            if (parse.GetValue(tokenize) is null && parse.GetValue(lang) is null
                && StyleEvaluator.Detect(input.References[0]) == MtTokenization.Chinese)
                Console.Error.WriteLine("note: the references look Chinese; BLEU uses 13a as asked by default — add --lang zh (or --tokenize zh) to count characters");
            var ter = new TerOptions(parse.GetValue(terNormalized), parse.GetValue(terNoPunct), parse.GetValue(terAsian), parse.GetValue(terCase));
            // A --wordnet that is wrong is an error; none found where WordNet usually is leaves METEOR out (null, with the
            // reason and the install hint), so BLEU, chrF and TER still come out. METEOR is never scored without synonyms.
            WordNet? lexicon = null;
            try { lexicon = WordNet.Open(parse.GetValue(wordnet)?.FullName); }
            catch (WordNetNotFoundException missing) when (parse.GetValue(wordnet) is null && Environment.GetEnvironmentVariable(WordNetLocator.EnvironmentVariable) is null)
            {
                Console.Error.WriteLine($"METEOR not computed: {missing.Message}");
            }
            var scores = CorpusScores.Compute(input, tokenization, ter, lexicon, withMeteor: lexicon is not null);
            if (parse.GetValue(json))
            {
                CliOutput.PrintJson(scores);
                return 0;
            }
            Console.WriteLine($"{scores.Segments} segments, {scores.References} reference(s), tokenize {scores.Tokenize}");
            Console.WriteLine($"BLEU   {scores.Bleu,8:F2}");
            Console.WriteLine($"chrF   {scores.ChrF,8:F2}");
            Console.WriteLine($"chrF++ {scores.ChrFPlusPlus,8:F2}");
            Console.WriteLine($"TER    {scores.Ter,8:F2}");
            Console.WriteLine(scores.Meteor is { } meteor ? $"METEOR {meteor,8:F4}" : "METEOR      –   (no WordNet: see above)");
            if (scores.SelfBleu is { } self) Console.WriteLine($"self-BLEU (vs --src) {self,8:F2}   chrF vs --src {scores.ChrFSource,8:F2}");
            return 0;
        }));
        return command;
    }
}
