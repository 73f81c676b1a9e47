using System.Text.Json;

namespace StyleStudio.Training.Tokenization;

/// <summary>The special tokens named in <c>tokenizer_config.json</c> (strings, or objects with a <c>content</c> field).</summary>
sealed record TokenizerConfig(string? Path, string? EosToken, string? BosToken, string? PadToken, bool AddBosToken)
{
    public static TokenizerConfig Load(string path)
    {
        if (!File.Exists(path)) return new TokenizerConfig(null, null, null, null, false);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            string? Token(string name) =>
                !root.TryGetProperty(name, out var value) ? null
                : value.ValueKind == JsonValueKind.String ? value.GetString()
                : value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) ? content.GetString()
                : value.ValueKind == JsonValueKind.Null ? null
                : throw new TokenizerLoadException(path, name, "must be a string or an object with content");
            bool addBos = root.TryGetProperty("add_bos_token", out var flag) && flag.ValueKind == JsonValueKind.True;
            return new TokenizerConfig(path, Token("eos_token"), Token("bos_token"), Token("pad_token"), addBos);
        }
        catch (JsonException e)
        {
            throw new TokenizerLoadException(path, "(file)", $"not valid JSON ({e.Message})");
        }
    }
}
