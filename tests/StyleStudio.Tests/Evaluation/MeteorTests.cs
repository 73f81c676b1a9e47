using System.IO.Compression;
using System.Text.Json;
using StyleStudio.Evaluation.Metrics;
using StyleStudio.Evaluation.Scoring;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// METEOR, its Porter stemmer and its WordNet lookups against NLTK 3.8's own results, recorded by
/// tools/reference/make_meteor_reference.py on the same WordNet 3.0 files: sentence and corpus scores on our sample pairs
/// (as sacreBLEU tokenizes them, English and Chinese), on the multi-reference line files of `stylestudio metrics` with
/// each tokenization, and on corner cases to 1e-6, alignments exactly, stems and synset
/// lemma names exactly. WordNet is found the way the studio finds it (CI installs Debian's wordnet-base).
/// </summary>
public class MeteorTests
{
    const double Tolerance = 1e-6;

    static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "metrics", "meteor.json"))).RootElement);

    static readonly Lazy<JsonElement> SacreBleu = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Root, "metrics", "sacrebleu.json"))).RootElement);

    static WordNet WordNet => WordNet.Open();

    static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    static JsonElement Sample(int index) => Reference.Value.GetProperty("samples")[index];

    public static TheoryData<int, string> Samples => new(Reference.Value.GetProperty("samples").EnumerateArray()
        .Select((s, i) => (i, s.GetProperty("name").GetString() + (s.TryGetProperty("second_stream", out _) ? " (2 refs)" : ""))));

    public static TheoryData<string> Cases => new(Reference.Value.GetProperty("cases").EnumerateArray()
        .Select(c => c.GetProperty("name").GetString()!));

    [Theory, MemberData(nameof(Samples))]
    public void Sample_pairs_score_as_nltk_per_sentence_and_as_a_corpus(int index, string name)
    {
        var sample = Sample(index);
        var block = SacreBleu.Value.GetProperty("blocks").EnumerateArray()
            .Single(b => b.GetProperty("name").GetString() == sample.GetProperty("name").GetString());
        var tokenization = block.GetProperty("tokenize").GetString() == "zh" ? MtTokenization.Chinese : MtTokenization.Thirteen;
        var hypotheses = Strings(block.GetProperty("hypotheses"));
        IReadOnlyList<IReadOnlyList<string>> streams = sample.TryGetProperty("second_stream", out var second)
            ? [Strings(block.GetProperty("references")), Strings(second)]
            : [Strings(block.GetProperty("references"))];
        var expected = sample.GetProperty("segments").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        Assert.Equal(expected.Length, hypotheses.Length);
        for (int i = 0; i < hypotheses.Length; i++)
        {
            double actual = Meteor.Sentence(hypotheses[i], streams.Select(s => s[i]).ToList(), tokenization, WordNet);
            Assert.True(Math.Abs(expected[i] - actual) <= Tolerance, $"{name} line {i}: NLTK {expected[i]}, ours {actual}");
        }
        Assert.Equal(sample.GetProperty("corpus").GetDouble(), Meteor.Corpus(hypotheses, streams, tokenization, WordNet), Tolerance);
    }

    public static TheoryData<int, string> LineFiles => new(Reference.Value.GetProperty("cli").EnumerateArray()
        .Select((c, i) => (i, $"{c.GetProperty("case").GetString()} {c.GetProperty("tokenize").GetString()}")));

    [Theory, MemberData(nameof(LineFiles))]
    public void Multi_reference_line_files_score_as_nltk_with_every_tokenization(int index, string name)
    {
        var block = Reference.Value.GetProperty("cli")[index];
        string folder = MetricsParityTests.Folder(block.GetProperty("case").GetString()!);
        var hypotheses = LineFile.Read(Path.Combine(folder, "hyp.txt"));
        var references = block.GetProperty("references").EnumerateArray()
            .Select(r => LineFile.Read(Path.Combine(folder, r.GetString()!))).ToList();
        var tokenization = MtTokenizationNames.Parse(block.GetProperty("tokenize").GetString()!);
        var expected = block.GetProperty("segments").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        Assert.Equal(expected.Length, hypotheses.Count);
        for (int i = 0; i < hypotheses.Count; i++)
        {
            double actual = Meteor.Sentence(hypotheses[i], references.Select(r => r[i]).ToList(), tokenization, WordNet);
            Assert.True(Math.Abs(expected[i] - actual) <= Tolerance, $"{name} line {i}: NLTK {expected[i]}, ours {actual}");
        }
        Assert.Equal(block.GetProperty("corpus").GetDouble(), Meteor.Corpus(hypotheses, references, tokenization, WordNet), Tolerance);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Corner_cases_score_and_align_as_nltk(string name)
    {
        var c = Reference.Value.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var hypothesis = Strings(c.GetProperty("hypothesis"));
        var references = c.GetProperty("references").EnumerateArray().Select(r => (IReadOnlyList<string>)Strings(r)).ToList();

        Assert.Equal(c.GetProperty("score").GetDouble(), Meteor.Score(hypothesis, references, WordNet), Tolerance);
        var single = c.GetProperty("single").EnumerateArray().Select(e => e.GetDouble()).ToList();
        var alignments = c.GetProperty("alignments").EnumerateArray().ToList();
        for (int r = 0; r < references.Count; r++)
        {
            Assert.Equal(single[r], Meteor.SingleScore(hypothesis, references[r], WordNet), Tolerance);
            var expected = alignments[r].EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetInt32()));
            Assert.Equal(expected, Meteor.Align(hypothesis, references[r], WordNet).Select(m => (m.Hypothesis, m.Reference)));
        }
    }

    [Fact]
    public void Porter_stems_equal_nltks_in_its_default_mode()
    {
        var pairs = Reference.Value.GetProperty("porter").EnumerateObject().ToList();
        Assert.True(pairs.Count > 2000);
        var wrong = pairs.Where(p => PorterStemmer.Stem(p.Name) != p.Value.GetString())
            .Select(p => $"{p.Name}: NLTK {p.Value.GetString()}, ours {PorterStemmer.Stem(p.Name)}").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(30)));
    }

    [Fact]
    public void Synset_lemma_names_equal_nltks_across_parts_of_speech_with_morphy_and_exceptions()
    {
        var words = Reference.Value.GetProperty("synsets").EnumerateObject().ToList();
        Assert.True(words.Count > 300);
        var wrong = new List<string>();
        foreach (var word in words)
        {
            string ours = string.Join(' ', WordNet.Synsets(word.Name).SelectMany(s => s.LemmaNames).Distinct()
                .Order(StringComparer.Ordinal));
            if (ours != word.Value.GetString()) wrong.Add($"{word.Name}: NLTK [{word.Value.GetString()}], ours [{ours}]");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(20)));
    }

    [Fact]
    public void Morphy_uses_the_exception_lists_and_the_suffix_rules()
    {
        // NLTK 3.8's wordnet._morphy(form, pos) answers on WordNet 3.0.
        Assert.Equal(["goose"], WordNet.Morphy("geese", 'n'));
        Assert.Equal(["go"], WordNet.Morphy("went", 'v'));
        Assert.Equal(["better", "good", "well"], WordNet.Morphy("better", 'a'));      // the form itself is an adjective too
        Assert.Equal(["church"], WordNet.Morphy("churches", 'n'));
        Assert.Empty(WordNet.Morphy("happi", 'n'));
    }

    [Fact]
    public void Chinese_meteor_is_character_level_exact_matching()
    {
        // Same characters in order: only the single chunk's penalty; reversed: one chunk per character. (Without a
        // WordNet argument, the process-wide one.)
        Assert.Equal(1 - 0.5 * Math.Pow(1.0 / 4, 3), Meteor.Sentence("今天很好", ["今天很好"], MtTokenization.Chinese), 1e-12);
        Assert.Equal(0.5, Meteor.Sentence("好很天今", ["今天很好"], MtTokenization.Chinese), 1e-12);
        Assert.Equal(0, Meteor.Sentence("", ["今天很好"], MtTokenization.Chinese));
        // Three of four characters, in two chunks: P = 1, R = 3/4.
        double f = 0.75 / (0.9 * 1 + 0.1 * 0.75);
        Assert.Equal(f * (1 - 0.5 * Math.Pow(2.0 / 3, 3)), Meteor.Sentence("今很好", ["今天很好"], MtTokenization.Chinese), 1e-12);
    }

    [Fact]
    public void A_configured_folder_without_wordnet_fails_naming_it_and_how_to_install()
    {
        string empty = Directory.CreateTempSubdirectory("no-wordnet-").FullName;
        try
        {
            var configured = Assert.Throws<WordNetNotFoundException>(() => WordNet.Open(empty));
            Assert.Contains(empty, configured.Message);
            Assert.Contains("apt-get install wordnet-base", configured.Message);

            string other = Path.Combine(empty, "nltk_data", "corpora", "wordnet");
            var unset = Assert.Throws<WordNetNotFoundException>(() => WordNetLocator.Find(null, [empty, other]));
            Assert.Contains($"{empty}, {other}", unset.Message);
            Assert.Contains(WordNetLocator.EnvironmentVariable, unset.Message);
            Assert.Contains("apt-get install wordnet-base", unset.Message);

            var incomplete = Assert.Throws<WordNetNotFoundException>(() => WordNet.Load(empty));
            Assert.Contains("data.noun", incomplete.Message);
        }
        finally { Directory.Delete(empty, recursive: true); }
    }

    [Fact]
    public void Nltks_downloaded_wordnet_zip_is_found_and_read_in_place()
    {
        string folder = WordNet.Folder;
        Assert.False(folder.EndsWith(".zip"), "this test zips a WordNet folder");
        string nltkData = Directory.CreateTempSubdirectory("nltk_data-").FullName;
        try
        {
            string corpora = Directory.CreateDirectory(Path.Combine(nltkData, "corpora")).FullName;
            using (var zip = ZipFile.Open(Path.Combine(corpora, "wordnet.zip"), ZipArchiveMode.Create))
                foreach (string file in WordNet.RequiredFiles)
                    zip.CreateEntryFromFile(Path.Combine(folder, file), $"wordnet/{file}", CompressionLevel.NoCompression);

            string found = WordNetLocator.Find(null, [Path.Combine(nltkData, "missing"), Path.Combine(corpora, "wordnet")]);
            Assert.Equal(Path.Combine(corpora, "wordnet"), found);
            var zipped = WordNet.Load(found);
            foreach (string word in new[] { "geese", "ran", "big", "happier" })
                Assert.Equal(WordNet.Synsets(word), zipped.Synsets(word), (a, b) =>
                    a.PartOfSpeech == b.PartOfSpeech && a.Offset == b.Offset && a.LemmaNames.SequenceEqual(b.LemmaNames));
        }
        finally { Directory.Delete(nltkData, recursive: true); }
    }

    [Fact]
    public void Stylestudio_metrics_reports_nltks_corpus_meteor()
    {
        var block = Reference.Value.GetProperty("cli").EnumerateArray()
            .Single(c => c.GetProperty("case").GetString() == "en-multi" && c.GetProperty("tokenize").GetString() == "intl");
        string folder = MetricsParityTests.Folder("en-multi");
        var result = CliRunner.Run("metrics", "--hyp", Path.Combine(folder, "hyp.txt"), "--ref", Path.Combine(folder, "ref1.txt"),
            "--ref", Path.Combine(folder, "ref2.txt"), "--tokenize", "intl", "--wordnet", WordNet.Folder, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(block.GetProperty("corpus").GetDouble(),
            JsonDocument.Parse(result.Stdout).RootElement.GetProperty("meteor").GetDouble(), Tolerance);
    }

    [Fact]
    public void Stylestudio_metrics_without_wordnet_fails_with_the_install_hint()
    {
        string empty = Directory.CreateTempSubdirectory("no-wordnet-").FullName;
        string folder = MetricsParityTests.Folder("edge");
        var result = CliRunner.Run("metrics", "--hyp", Path.Combine(folder, "hyp.txt"), "--ref", Path.Combine(folder, "ref1.txt"),
            "--wordnet", empty);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(empty, result.Stderr);
        Assert.Contains("apt-get install wordnet-base", result.Stderr);
        Directory.Delete(empty);
    }

    [Fact]
    public void The_default_places_start_with_debians_wordnet_and_include_nltk_data()
    {
        var places = WordNetLocator.DefaultPlaces();
        Assert.Equal("/usr/share/wordnet", places[0]);
        Assert.Contains(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "nltk_data", "corpora", "wordnet"), places);
    }
}
