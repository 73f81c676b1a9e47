using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace StyleStudio.Evaluation.Metrics;

/// <summary>A synset: its part of speech (n, v, a, s, r), its byte offset in data.*, and its lemma names as written there.</summary>
public sealed record WordNetSynset(char PartOfSpeech, int Offset, IReadOnlyList<string> LemmaNames);

/// <summary>
/// WordNet 3.0 read from its dictionary files (index.*, data.*, *.exc), answering <see cref="Synsets"/> as NLTK 3.8's
/// <c>wordnet.synsets(word)</c> does: the word lowercased, every part of speech in NLTK's order (n, v, a, r), each
/// through NLTK's morphy (exception lists first, then its suffix rules applied until a form is in the index). Written
/// here because METEOR's synonym stage must see exactly NLTK's lemma names and no .NET package reads WordNet that way.
/// The index and exception lists are parsed when loading; a data file is read as bytes when first needed and a synset
/// is parsed from its line on first use. Thread-safe.
/// </summary>
public sealed class WordNet
{
    /// <summary>NLTK's order of parts of speech for a lookup without one (adjective satellites come with 'a').</summary>
    public static readonly IReadOnlyList<char> PartsOfSpeech = ['n', 'v', 'a', 'r'];

    static readonly Dictionary<char, string> FileSuffix = new() { ['n'] = "noun", ['v'] = "verb", ['a'] = "adj", ['r'] = "adv" };

    // NLTK's MORPHOLOGICAL_SUBSTITUTIONS (ending → replacement), in its order.
    static readonly Dictionary<char, (string Old, string New)[]> Substitutions = new()
    {
        ['n'] = [("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
        ['v'] = [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
        ['a'] = [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
        ['r'] = [],
    };

    /// <summary>The files a WordNet folder must hold.</summary>
    public static IEnumerable<string> RequiredFiles =>
        FileSuffix.Values.SelectMany(s => new[] { $"index.{s}", $"data.{s}", $"{s}.exc" });

    static readonly ConcurrentDictionary<string, Lazy<WordNet>> Opened = new();

    readonly Dictionary<string, int[]?[]> index = new(StringComparer.Ordinal);   // lemma → synset offsets per pos (n, v, a, r)
    readonly Dictionary<char, Dictionary<string, string[]>> exceptions = new();  // pos → inflected form → lemmas
    readonly Dictionary<char, Lazy<byte[]>> data = new();                        // pos → data.* bytes, read on first use
    readonly ConcurrentDictionary<(char, int), WordNetSynset> synsets = new();
    readonly ConcurrentDictionary<string, IReadOnlySet<string>> meteorSynonyms = new(StringComparer.Ordinal);

    /// <summary>The folder (or NLTK zip) the files were read from.</summary>
    public string Folder { get; }

    /// <summary>How long reading the index and exception files took (data files are read on first lookup).</summary>
    public TimeSpan LoadTime { get; }

    WordNet(string source, Func<string, bool> has, Func<string, byte[]> read)
    {
        var clock = Stopwatch.StartNew();
        Folder = source;
        var missing = RequiredFiles.Where(f => !has(f)).ToList();
        if (missing.Count > 0)
            throw new WordNetNotFoundException($"The WordNet folder {source} lacks {string.Join(", ", missing)}. "
                + WordNetLocator.InstallHint);
        foreach (var (pos, suffix) in FileSuffix)
        {
            ReadIndex(Encoding.UTF8.GetString(read($"index.{suffix}")));
            exceptions[pos] = ReadExceptions(Encoding.UTF8.GetString(read($"{suffix}.exc")));
            string dataFile = $"data.{suffix}";
            data[pos] = new Lazy<byte[]>(() => read(dataFile));
        }
        LoadTime = clock.Elapsed;
    }

    /// <summary>
    /// Reads WordNet from a folder of dictionary files, or from NLTK's downloaded <c>corpora/wordnet.zip</c> (given
    /// itself, or as the folder name it would unzip to). No caching; see <see cref="Open"/>.
    /// </summary>
    public static WordNet Load(string path)
    {
        if (path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) && File.Exists(path)) return FromZip(path);
        if (!File.Exists(Path.Combine(path, "data.noun")) && File.Exists(path + ".zip")) return FromZip(path + ".zip");
        return new(path, f => File.Exists(Path.Combine(path, f)), f => File.ReadAllBytes(Path.Combine(path, f)));
    }

    // NLTK reads its wordnet.zip in place (files under wordnet/), and its downloader does not always unzip it.
    static WordNet FromZip(string zip)
    {
        Dictionary<string, string> entries;
        using (var archive = ZipFile.OpenRead(zip))
            entries = archive.Entries.Where(e => e.Name.Length > 0).GroupBy(e => e.Name)
                .ToDictionary(g => g.Key, g => g.MinBy(e => e.FullName.Length)!.FullName);
        byte[] Read(string name)
        {
            using var archive = ZipFile.OpenRead(zip);
            using var stream = archive.GetEntry(entries[name])!.Open();
            var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            return bytes.ToArray();
        }
        return new(zip, entries.ContainsKey, Read);
    }

    /// <summary>
    /// The process-wide WordNet, found by <see cref="WordNetLocator.Find"/> (a configured folder, else
    /// $STYLESTUDIO_WORDNET, else the usual places) and loaded once per folder. Throws
    /// <see cref="WordNetNotFoundException"/> naming the places looked when there is none; a failure is not cached, so
    /// installing WordNet later works without a restart.
    /// </summary>
    public static WordNet Open(string? configuredFolder = null)
    {
        string folder = Path.GetFullPath(WordNetLocator.Find(configuredFolder));
        var lazy = Opened.GetOrAdd(folder, f => new Lazy<WordNet>(() => Load(f)));
        try { return lazy.Value; }
        catch { Opened.TryRemove(new(folder, lazy)); throw; }
    }

    /// <summary>NLTK's <c>wordnet.synsets(word)</c>: every part of speech, morphy with exceptions, NLTK's order.</summary>
    public IReadOnlyList<WordNetSynset> Synsets(string word)
    {
        string lower = PythonText.Lower(word);
        var found = new List<WordNetSynset>();
        foreach (char pos in PartsOfSpeech)
            foreach (string form in Morphy(lower, pos))
                foreach (int offset in index[form][Slot(pos)]!)
                    found.Add(Synset(pos, offset));
        return found;
    }

    /// <summary>
    /// NLTK's <c>_morphy(form, pos)</c> for pos n, v, a or r: a form in the exception list gives itself and its listed
    /// lemmas, whichever are in the index (and nothing else); otherwise the form and its one-rule variants that are in
    /// the index, or failing that the first round of repeated rule applications that yields any.
    /// </summary>
    public IReadOnlyList<string> Morphy(string form, char pos)
    {
        if (exceptions[pos].TryGetValue(form, out var listed)) return InIndex([form, .. listed], pos);
        var forms = ApplyRules([form], pos);
        var results = InIndex([form, .. forms], pos);
        while (results.Count == 0 && forms.Count > 0)
        {
            forms = ApplyRules(forms, pos);
            results = InIndex(forms, pos);
        }
        return results;
    }

    /// <summary>
    /// The words METEOR's synonym stage accepts for a hypothesis word: the lemma names (case kept, as NLTK's
    /// <c>lemma.name()</c>) of all its synsets, except multi-word lemmas (with '_'). Cached per word.
    /// </summary>
    public IReadOnlySet<string> MeteorSynonyms(string word) => meteorSynonyms.GetOrAdd(word, w =>
        Synsets(w).SelectMany(s => s.LemmaNames).Where(name => !name.Contains('_')).ToHashSet(StringComparer.Ordinal));

    static List<string> ApplyRules(List<string> forms, char pos) =>
        [.. from f in forms from rule in Substitutions[pos] where f.EndsWith(rule.Old, StringComparison.Ordinal)
            select f[..^rule.Old.Length] + rule.New];

    List<string> InIndex(IEnumerable<string> forms, char pos) =>
        forms.Where(f => index.TryGetValue(f, out var byPos) && byPos[Slot(pos)] is not null).Distinct().ToList();

    static int Slot(char pos) => pos switch
    {
        'n' => 0, 'v' => 1, 'a' => 2, 'r' => 3,
        _ => throw new ArgumentException($"'{pos}' is not a part of speech here: use n, v, a or r"),
    };

    WordNetSynset Synset(char pos, int offset) => synsets.GetOrAdd((pos, offset), key => ParseSynset(key.Item1, key.Item2));

    /// <summary>
    /// A data.* line: "offset lex_filenum ss_type w_cnt (word lex_id)… pointers… | gloss". A lemma name loses a
    /// trailing syntactic marker such as "(a)", "(p)" or "(ip)", as NLTK strips it.
    /// </summary>
    WordNetSynset ParseSynset(char pos, int offset)
    {
        var bytes = data[pos].Value;
        int end = offset < bytes.Length ? Array.IndexOf(bytes, (byte)'\n', offset) : -1;
        string line = Encoding.UTF8.GetString(bytes, offset, (end < 0 ? bytes.Length : end) - offset);
        var fields = line.Split((char[]?)null, 8 + 2 * 256, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4 || !int.TryParse(fields[0], out int lineOffset) || lineOffset != offset || fields[0].Length != 8)
            throw new InvalidDataException($"{Path.Combine(Folder, $"data.{FileSuffix[pos]}")} has no synset at byte {offset}");
        int count = Convert.ToInt32(fields[3], 16);
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            string name = fields[4 + 2 * i];
            int paren = name.IndexOf('(');
            names[i] = paren >= 0 && name.EndsWith(')') ? name[..paren] : name;
        }
        return new WordNetSynset(fields[2][0], offset, names);
    }

    /// <summary>An index.* file: "lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt offset…" per line;
    /// the license header's lines start with a space. A later line for the same lemma and pos wins, as in NLTK.</summary>
    void ReadIndex(string text)
    {
        var fields = new List<Range>(32);
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.IsEmpty || line[0] == ' ') continue;
            fields.Clear();
            foreach (var range in line.SplitAny(" \t\r"))
                if (range.GetOffsetAndLength(line.Length).Length > 0) fields.Add(range);
            string lemma = line[fields[0]].ToString();
            char pos = line[fields[1]][0];
            int synsetCount = int.Parse(line[fields[2]], CultureInfo.InvariantCulture);
            int pointerCount = int.Parse(line[fields[3]], CultureInfo.InvariantCulture);
            int first = 4 + pointerCount + 2;                          // past the pointer symbols, sense_cnt and tagsense_cnt
            var offsets = new int[synsetCount];
            for (int i = 0; i < synsetCount; i++) offsets[i] = int.Parse(line[fields[first + i]], CultureInfo.InvariantCulture);
            if (!index.TryGetValue(lemma, out var byPos)) index[lemma] = byPos = new int[]?[4];
            byPos[Slot(pos)] = offsets;
        }
    }

    /// <summary>A *.exc file: "inflected lemma…" per line; a later line for the same form wins, as in NLTK.</summary>
    static Dictionary<string, string[]> ReadExceptions(string text)
    {
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n'))
        {
            var terms = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (terms.Length > 0) map[terms[0]] = terms[1..];
        }
        return map;
    }
}
