namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// The name llama.cpp gives a byte-level BPE pre-tokenizer (<c>tokenizer.ggml.pre</c>). llama.cpp does not read the split
/// regex from the file: it picks its own built-in regex (and flags such as ignore_merges) by this name, so a wrong name
/// tokenizes differently without any error. llama.cpp's converter finds the name by hashing a test tokenization; we
/// match the Split regex of tokenizer.json instead, which needs no tokenizer run and cannot confuse two families.
/// </summary>
public static class PreTokenizerNames
{
    const string QwenRegex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // Llama 3 and GLM-4 share this regex (digits in groups of up to three); llama.cpp names them apart.
    const string Llama3Regex =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's pattern, implied by a ByteLevel pre-tokenizer with use_regex.</summary>
    public const string GptTwoRegex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// llama.cpp's pre-tokenizer name for <paramref name="regex"/>; <paramref name="ggufArchitecture"/> decides between
    /// names that share a regex (GLM-4's tokenizer is "glm4", which also drops the BOS token llama-bpe would add).
    /// </summary>
    public static string For(string regex, string ggufArchitecture, string tokenizerPath) => regex switch
    {
        QwenRegex => "qwen2",
        Llama3Regex when ggufArchitecture is "glm4" or "chatglm" => "glm4",
        Llama3Regex => "llama-bpe",
        GptTwoRegex => "gpt-2",
        _ => throw new Tokenization.TokenizerLoadException(tokenizerPath, "pre_tokenizer",
            $"split regex {regex} is not one llama.cpp knows by name (known: Qwen2/Qwen3, Llama 3, GLM-4, GPT-2); "
            + "exporting it would tokenize differently in llama.cpp"),
    };
}
