using System.Text.Json;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>The special token ids of <c>tokenizer.ggml.*_token_id</c>, found the way llama.cpp's converter finds them.</summary>
static class GgufSpecialTokens
{
    /// <summary>tokenizer_config.json field prefix → GGUF key suffix, in the converter's order ("seperator" is the key's spelling).</summary>
    static readonly (string Config, string Key)[] SpecialTypes =
        [("bos", "bos_token_id"), ("eos", "eos_token_id"), ("unk", "unknown_token_id"), ("sep", "seperator_token_id"),
         ("pad", "padding_token_id"), ("cls", "cls_token_id"), ("mask", "mask_token_id"), ("eot", "eot_token_id")];

    /// <summary>The GGUF key suffixes, in the converter's order.</summary>
    public static IEnumerable<string> Keys => SpecialTypes.Select(t => t.Key);

    /// <summary>
    /// Special ids as the converter finds them: the token named in tokenizer_config.json looked up among tokenizer.json's
    /// added tokens, else config.json's <c>{type}_token_id</c> when it is a single id.
    /// </summary>
    public static Dictionary<string, int> Find(JsonElement? config, JsonElement? modelConfig, List<GgufVocabulary.AddedToken> added, int vocabSize,
        string ggufArchitecture)
    {
        var ids = new Dictionary<string, int>();
        foreach (var (prefix, key) in SpecialTypes)
        {
            string? content = config is { } c && c.TryGetProperty($"{prefix}_token", out var entry)
                ? entry.ValueKind switch
                {
                    JsonValueKind.String => entry.GetString(),
                    JsonValueKind.Object when entry.TryGetProperty("content", out var inner) => inner.GetString(),
                    _ => null,
                }
                : null;
            if (content is not null && added.FirstOrDefault(a => a.Content == content) is { } token)
                ids[key] = token.Id;
            else if (modelConfig is { } m && m.TryGetProperty($"{prefix}_token_id", out var id) && id.ValueKind == JsonValueKind.Number
                && id.TryGetInt32(out int value) && value >= 0 && value < vocabSize)
                ids[key] = value;
        }
        if (ggufArchitecture is "glm4" or "chatglm")
        {
            // The converter's GLM additions: a user turn ends the assistant's (llama.cpp does not detect <|user|> itself).
            int? Added(string content) => added.FirstOrDefault(a => a.Content == content)?.Id;
            if (Added("<|user|>") is { } user) ids.TryAdd("eot_token_id", user);
            if (Added("<|endoftext|>") is { } end) { ids.TryAdd("eos_token_id", end); ids.TryAdd("unknown_token_id", end); }
        }
        return ids;
    }
}
