using System.Text.Json;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// The tokenizer as llama.cpp reads it from GGUF metadata (<c>tokenizer.ggml.*</c>), built from a Hugging Face byte-level
/// BPE <c>tokenizer.json</c> plus <c>tokenizer_config.json</c> the way llama.cpp's converter builds it: one entry per id
/// up to the model's vocab_size ("[PAD<i>]", unused, for ids the tokenizer lacks), added tokens as control tokens when
/// special (or looking special, like &lt;|…|&gt;) and as user-defined tokens otherwise, merges as "a b" strings.
/// </summary>
public sealed record GgufVocabulary(
    string PreTokenizer,
    IReadOnlyList<string> Tokens,
    IReadOnlyList<int> TokenTypes,
    IReadOnlyList<string> Merges,
    IReadOnlyDictionary<string, int> SpecialTokenIds,
    bool AddBosToken,
    bool? AddEosToken,
    string? ChatTemplate,
    bool NormalizesToNfc)
{
    /// <summary>llama.cpp's BPE has no normalizer step; where the Hugging Face tokenizer has one the user should know.</summary>
    public IReadOnlyList<string> Caveats => NormalizesToNfc
        ? ["the tokenizer normalizes text to NFC first and llama.cpp does not: text with decomposed characters (e + combining accent) "
           + "tokenizes differently there unless it is NFC-normalized before it reaches llama.cpp"]
        : [];

    // llama.cpp's token types (llama_token_type).
    const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    public IEnumerable<KeyValuePair<string, GgufValue>> Metadata()
    {
        yield return new("tokenizer.ggml.model", GgufValue.String("gpt2"));
        yield return new("tokenizer.ggml.pre", GgufValue.String(PreTokenizer));
        yield return new("tokenizer.ggml.tokens", GgufValue.Strings(Tokens));
        yield return new("tokenizer.ggml.token_type", GgufValue.Int32s(TokenTypes));
        yield return new("tokenizer.ggml.merges", GgufValue.Strings(Merges));
        foreach (var key in GgufSpecialTokens.Keys)
            if (SpecialTokenIds.TryGetValue(key, out int id))
                yield return new($"tokenizer.ggml.{key}", GgufValue.UInt32(id));
        yield return new("tokenizer.ggml.add_bos_token", GgufValue.Bool(AddBosToken));
        if (AddEosToken is { } addEos) yield return new("tokenizer.ggml.add_eos_token", GgufValue.Bool(addEos));
        if (ChatTemplate is not null) yield return new("tokenizer.chat_template", GgufValue.String(ChatTemplate));
    }

    /// <summary>Reads the tokenizer of <paramref name="folder"/> for a model of <paramref name="vocabSize"/> rows.</summary>
    public static GgufVocabulary Load(string folder, int vocabSize, string ggufArchitecture)
    {
        string file = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(file))
            throw new TokenizerLoadException(file, "(file)", "not found: GGUF export needs the model's Hugging Face tokenizer.json");
        using var document = ParseJson(file);
        var root = document.RootElement;
        var model = root.GetProperty("model");
        if (model.TryGetProperty("type", out var type) && type.GetString() != "BPE")
            throw new TokenizerLoadException(file, "model.type", $"'{type.GetString()}' is not supported (byte-level BPE only)");

        var text = new string?[vocabSize];
        var types = new int[vocabSize];
        foreach (var entry in model.GetProperty("vocab").EnumerateObject())
            Place(file, text, types, entry.Value.GetInt32(), entry.Name, Normal, vocabSize);
        var added = AddedTokens(root);
        foreach (var token in added)
            Place(file, text, types, token.Id, token.Content, token.Special || LooksSpecial(token.Content) ? Control : UserDefined, vocabSize);
        for (int id = 0; id < vocabSize; id++)
            if (text[id] is null) (text[id], types[id]) = ($"[PAD{id}]", Unused);

        var config = ReadJsonIfPresent(Path.Combine(folder, "tokenizer_config.json"));
        var modelConfig = ReadJsonIfPresent(Path.Combine(folder, "config.json"));
        return new GgufVocabulary(
            PreTokenizerNames.For(SplitRegex(file, root), ggufArchitecture, file),
            text!, types, ReadMerges(file, model), GgufSpecialTokens.Find(config, modelConfig, added, vocabSize, ggufArchitecture),
            Flag(config, "add_bos_token") ?? TemplateStartsWithSpecialToken(root), Flag(config, "add_eos_token"), ReadChatTemplate(folder, config),
            root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object
                && normalizer.TryGetProperty("type", out var kind) && kind.GetString() == "NFC");
    }

    static void Place(string file, string?[] text, int[] types, int id, string token, int tokenType, int vocabSize)
    {
        if (id < 0 || id >= vocabSize)
            throw new TokenizerLoadException(file, $"token '{token}'", $"id {id} is outside the model's vocab_size {vocabSize} (config.json)");
        text[id] = token;
        types[id] = tokenType;
    }

    /// <summary>The converter's test for added tokens that are control tokens even when not flagged special.</summary>
    static bool LooksSpecial(string token) =>
        token is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (token.StartsWith("<|", StringComparison.Ordinal) && token.EndsWith("|>", StringComparison.Ordinal))
        || (token.StartsWith("<｜", StringComparison.Ordinal) && token.EndsWith("｜>", StringComparison.Ordinal))
        || (token.StartsWith("<unused", StringComparison.Ordinal) && token.EndsWith('>'));

    internal sealed record AddedToken(int Id, string Content, bool Special);

    static List<AddedToken> AddedTokens(JsonElement root) =>
        root.TryGetProperty("added_tokens", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(t => new AddedToken(t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString()!,
                t.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True)).ToList()
            : [];

    static List<string> ReadMerges(string file, JsonElement model)
    {
        if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
            throw new TokenizerLoadException(file, "model.merges", "missing: llama.cpp's BPE tokenizer needs the merges");
        return merges.EnumerateArray().Select((merge, i) => merge.ValueKind switch
        {
            JsonValueKind.String => merge.GetString()!,
            JsonValueKind.Array when merge.GetArrayLength() == 2 => $"{merge[0].GetString()} {merge[1].GetString()}",
            _ => throw new TokenizerLoadException(file, $"model.merges[{i}]", "expected \"a b\" or [\"a\", \"b\"]"),
        }).ToList();
    }

    /// <summary>The regex of a Sequence[Split(Isolated), ByteLevel] pre-tokenizer, or GPT-2's for ByteLevel(use_regex).</summary>
    static string SplitRegex(string file, JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
            throw new TokenizerLoadException(file, "pre_tokenizer", "missing: cannot tell llama.cpp how to split text");
        var steps = pre.GetProperty("type").GetString() == "Sequence" ? pre.GetProperty("pretokenizers").EnumerateArray().ToList() : [pre];
        foreach (var step in steps)
        {
            string kind = step.GetProperty("type").GetString()!;
            if (kind == "Split" && step.TryGetProperty("pattern", out var pattern) && pattern.TryGetProperty("Regex", out var regex))
                return regex.GetString()!;
            if (kind == "ByteLevel" && step.TryGetProperty("use_regex", out var useRegex) && useRegex.GetBoolean())
                return PreTokenizerNames.GptTwoRegex;
        }
        throw new TokenizerLoadException(file, "pre_tokenizer", "no split regex found (expected Split(Regex) or ByteLevel(use_regex))");
    }

    /// <summary>
    /// Whether the post-processor puts one token before the text (Llama 3's TemplateProcessing adds &lt;|begin_of_text|&gt;).
    /// The converter leaves add_bos_token out when tokenizer_config.json does not set it, and llama.cpp then falls back to
    /// its own default per pre-tokenizer (llama-bpe: add). We always write it, as our tokenizer decides, so llama.cpp
    /// builds prompts from the same tokens our engine trained and generated with. A longer prefix (GLM's [gMASK]&lt;sop&gt;)
    /// cannot be one BOS: it stays in the prompt template, as llama.cpp's own GLM templates have it.
    /// </summary>
    static bool TemplateStartsWithSpecialToken(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object) return false;
        var processors = post.GetProperty("type").GetString() == "Sequence" ? post.GetProperty("processors").EnumerateArray().ToList() : [post];
        return processors.Any(p => p.GetProperty("type").GetString() == "TemplateProcessing" && p.TryGetProperty("single", out var single)
            && single.EnumerateArray().TakeWhile(piece => piece.TryGetProperty("SpecialToken", out _)).Count() == 1);
    }

    static bool? Flag(JsonElement? config, string name) =>
        config is { } c && c.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? value.GetBoolean() : null;

    /// <summary>tokenizer_config.json's chat_template (the "default" one when it holds several), else chat_template.jinja.</summary>
    static string? ReadChatTemplate(string folder, JsonElement? config)
    {
        if (config is { } c && c.TryGetProperty("chat_template", out var template))
        {
            if (template.ValueKind == JsonValueKind.String) return template.GetString();
            if (template.ValueKind == JsonValueKind.Array)
                foreach (var named in template.EnumerateArray())
                    if (named.TryGetProperty("name", out var name) && name.GetString() == "default")
                        return named.GetProperty("template").GetString();
        }
        string jinja = Path.Combine(folder, "chat_template.jinja");
        return File.Exists(jinja) ? File.ReadAllText(jinja) : null;
    }

    static JsonElement? ReadJsonIfPresent(string path)
    {
        if (!File.Exists(path)) return null;
        using var document = ParseJson(path);
        return document.RootElement.Clone();
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
}
