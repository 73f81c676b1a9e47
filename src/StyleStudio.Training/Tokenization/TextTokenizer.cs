using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace StyleStudio.Training.Tokenization;

/// <summary>
/// A Hugging Face byte-level BPE tokenizer (Qwen2/2.5/3, Llama 3) read from <c>tokenizer.json</c> and
/// <c>tokenizer_config.json</c>. Encoding runs on Microsoft.ML.Tokenizers' BPE, configured from the file's normalizer,
/// split regex, merges and added tokens; decoding maps ids back to bytes so streams can be cut at character boundaries.
/// </summary>
public sealed class TextTokenizer
{
    const string GptTwoSplit = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    readonly Tokenizer bpe;
    readonly byte[][] bytesOf;
    readonly HashSet<int> specialIds;
    readonly Dictionary<string, int> idOf;
    readonly int[] prefix, suffix;

    public int VocabSize => bytesOf.Length;
    /// <summary>End-of-sequence ids from tokenizer_config.json (the model folder may add more from its configs).</summary>
    public IReadOnlyList<int> EosTokenIds { get; }
    /// <summary>The end-of-sequence token's text, e.g. &lt;|im_end|&gt;; null when the tokenizer config names none.</summary>
    public string? EosToken { get; }
    public int? BosTokenId { get; }
    public int? PadTokenId { get; }

    TextTokenizer(Tokenizer bpe, byte[][] bytesOf, HashSet<int> specialIds, Dictionary<string, int> idOf, int[] prefix,
        int[] suffix, string? eosToken, IReadOnlyList<int> eos, int? bos, int? pad)
    {
        EosToken = eosToken;
        this.bpe = bpe;
        this.bytesOf = bytesOf;
        this.specialIds = specialIds;
        this.idOf = idOf;
        this.prefix = prefix;
        this.suffix = suffix;
        EosTokenIds = eos;
        BosTokenId = bos;
        PadTokenId = pad;
    }

    /// <summary>Token ids of <paramref name="text"/>; with special tokens, the post-processor's template (e.g. BOS) is added.</summary>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        var ids = bpe.EncodeToIds(text);
        if (!addSpecialTokens || (prefix.Length == 0 && suffix.Length == 0)) return [.. ids];
        return [.. prefix, .. ids, .. suffix];
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
            if (!(skipSpecialTokens && specialIds.Contains(id)))
                bytes.AddRange(TokenBytes(id));
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>
    /// The bytes of token <paramref name="id"/>. Models often have more embedding rows than the tokenizer has tokens
    /// (padded to a multiple of 64 or 128); an id among those rows has no text, as Hugging Face tokenizers decode it, so a
    /// model that picks one does not end the generation with an error.
    /// </summary>
    public byte[] TokenBytes(int id) =>
        id < 0 ? throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is negative")
        : id < bytesOf.Length ? bytesOf[id] : [];

    public bool IsSpecial(int id) => specialIds.Contains(id);

    public int? TokenId(string token) => idOf.TryGetValue(token, out int id) ? id : null;

    /// <summary>Loads <c>tokenizer.json</c> from a model folder (or the file itself) plus a sibling tokenizer_config.json.</summary>
    public static TextTokenizer Load(string folderOrFile)
    {
        string file = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "tokenizer.json") : folderOrFile;
        if (!File.Exists(file))
            throw new TokenizerLoadException(file, "(file)", "not found; StyleStudio reads Hugging Face tokenizer.json files");
        using var document = ParseJson(file);
        var root = document.RootElement;
        var reader = new TokenizerJsonReader(file, root);

        var vocab = reader.Vocabulary();
        var added = reader.AddedTokens();
        var specialTokens = added.ToDictionary(a => a.Content, a => a.Id);
        var options = new BpeOptions(vocab)
        {
            Merges = reader.Merges(),
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(reader.SplitRegex(GptTwoSplit), specialTokens),
            SpecialTokens = specialTokens,
            Normalizer = reader.Normalizer(),
        };
        var bpe = BpeTokenizer.Create(options);

        int size = Math.Max(vocab.Max(v => v.Value), added.Count == 0 ? 0 : added.Max(a => a.Id)) + 1;
        var bytesOf = new byte[size][];
        Array.Fill(bytesOf, []);
        var idOf = new Dictionary<string, int>();
        foreach (var (token, id) in vocab.Concat(added.Select(a => new KeyValuePair<string, int>(a.Content, a.Id))))
        {
            bytesOf[id] = ByteLevelAlphabet.ToBytes(token);
            idOf[token] = id;
        }
        var (prefix, suffix) = reader.Template(idOf);

        var config = TokenizerConfig.Load(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json"));
        int? Id(string? token, string field) => token is null ? null
            : idOf.TryGetValue(token, out int id) ? id
            : throw new TokenizerLoadException(config.Path!, field, $"'{token}' is not in the vocabulary of {file}");
        var eos = Id(config.EosToken, "eos_token") is { } e ? new[] { e } : [];
        if (config.AddBosToken && config.BosToken is not null && prefix.Length == 0)
            prefix = [Id(config.BosToken, "bos_token")!.Value];
        return new TextTokenizer(bpe, bytesOf, added.Where(a => a.Special).Select(a => a.Id).ToHashSet(), idOf, prefix, suffix,
            config.EosToken, eos, Id(config.BosToken, "bos_token"), Id(config.PadToken, "pad_token"));
    }

    static JsonDocument ParseJson(string file)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new TokenizerLoadException(file, "(file)", $"not valid JSON ({e.Message})");
        }
    }

    internal sealed record AddedToken(int Id, string Content, bool Special);

    /// <summary>Reads the parts of tokenizer.json a byte-level BPE needs; anything else is rejected with its field named.</summary>
    sealed class TokenizerJsonReader(string file, JsonElement root)
    {
        JsonElement Model()
        {
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new TokenizerLoadException(file, "model", "missing");
            string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "BPE";
            if (type != "BPE")
                throw new TokenizerLoadException(file, "model.type", $"'{type}' is not supported (byte-level BPE only)");
            if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
                throw new TokenizerLoadException(file, "model.byte_fallback",
                    "SentencePiece-style byte fallback BPE is not supported yet (byte-level BPE such as Qwen and Llama 3 is)");
            return model;
        }

        public Dictionary<string, int> Vocabulary()
        {
            if (!Model().TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new TokenizerLoadException(file, "model.vocab", "missing or not an object");
            var result = new Dictionary<string, int>();
            foreach (var entry in vocab.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                    throw new TokenizerLoadException(file, $"model.vocab[\"{entry.Name}\"]", "id must be a non-negative integer");
                result[entry.Name] = id;
            }
            return result;
        }

        /// <summary>Merges as "a b" strings; newer files store them as two-element arrays.</summary>
        public List<string> Merges()
        {
            if (!Model().TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
                throw new TokenizerLoadException(file, "model.merges", "missing or not an array");
            var result = new List<string>(merges.GetArrayLength());
            int index = 0;
            foreach (var merge in merges.EnumerateArray())
            {
                result.Add(merge.ValueKind switch
                {
                    JsonValueKind.String => merge.GetString()!,
                    JsonValueKind.Array when merge.GetArrayLength() == 2 => $"{merge[0].GetString()} {merge[1].GetString()}",
                    _ => throw new TokenizerLoadException(file, $"model.merges[{index}]", "expected \"a b\" or [\"a\", \"b\"]"),
                });
                index++;
            }
            return result;
        }

        public List<AddedToken> AddedTokens()
        {
            if (!root.TryGetProperty("added_tokens", out var list) || list.ValueKind != JsonValueKind.Array) return [];
            return list.EnumerateArray().Select((token, i) =>
                token.TryGetProperty("id", out var id) && token.TryGetProperty("content", out var content)
                    ? new AddedToken(id.GetInt32(), content.GetString()!, token.TryGetProperty("special", out var s) && s.GetBoolean())
                    : throw new TokenizerLoadException(file, $"added_tokens[{i}]", "needs id and content")).ToList();
        }

        public Normalizer? Normalizer()
        {
            if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null) return null;
            string type = normalizer.GetProperty("type").GetString()!;
            return type switch
            {
                "NFC" => new NfcNormalizer(),
                _ => throw new TokenizerLoadException(file, "normalizer.type", $"'{type}' is not supported (NFC or none)"),
            };
        }

        /// <summary>
        /// The split regex of a byte-level pre-tokenizer: Sequence[Split(regex), ByteLevel(use_regex=false)] as in Qwen and
        /// Llama 3, or ByteLevel(use_regex=true), which implies GPT-2's pattern.
        /// </summary>
        public Regex SplitRegex(string gptTwoPattern)
        {
            if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
                throw new TokenizerLoadException(file, "pre_tokenizer", "missing");
            var steps = pre.GetProperty("type").GetString() == "Sequence"
                ? pre.GetProperty("pretokenizers").EnumerateArray().ToList()
                : [pre];
            string? pattern = null;
            bool byteLevel = false;
            foreach (var step in steps)
            {
                string type = step.GetProperty("type").GetString()!;
                if (type == "Split" && step.TryGetProperty("pattern", out var p) && p.TryGetProperty("Regex", out var regex)
                    && step.GetProperty("behavior").GetString() == "Isolated")
                    pattern = regex.GetString();
                else if (type == "ByteLevel")
                {
                    byteLevel = true;
                    if (step.TryGetProperty("use_regex", out var useRegex) && useRegex.GetBoolean())
                        pattern ??= gptTwoPattern;
                }
                else
                    throw new TokenizerLoadException(file, "pre_tokenizer", $"step '{type}' is not supported (Split with Isolated behaviour, ByteLevel)");
            }
            if (!byteLevel || pattern is null)
                throw new TokenizerLoadException(file, "pre_tokenizer", "expected a byte-level pre-tokenizer with a split regex");
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }

        /// <summary>Special tokens the post-processor puts around a single sequence (TemplateProcessing); none for ByteLevel.</summary>
        public (int[] Prefix, int[] Suffix) Template(IReadOnlyDictionary<string, int> idOf)
        {
            if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object) return ([], []);
            var processors = post.GetProperty("type").GetString() == "Sequence"
                ? post.GetProperty("processors").EnumerateArray().ToList()
                : [post];
            var template = processors.FirstOrDefault(p => p.GetProperty("type").GetString() == "TemplateProcessing");
            if (template.ValueKind != JsonValueKind.Object) return ([], []);
            List<int> before = [], after = [];
            bool seenSequence = false;
            foreach (var piece in template.GetProperty("single").EnumerateArray())
            {
                if (piece.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                string token = piece.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                int id = idOf.TryGetValue(token, out int found) ? found
                    : throw new TokenizerLoadException(file, "post_processor.single", $"'{token}' is not in the vocabulary");
                (seenSequence ? after : before).Add(id);
            }
            return ([.. before], [.. after]);
        }
    }
}
