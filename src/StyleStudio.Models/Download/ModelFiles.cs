namespace StyleStudio.Models.Download;

/// <summary>
/// Which listed files a model needs, and where each may be written. The listing comes from a server, so its names are
/// untrusted: a name is used only if it stays inside the model's folder, whatever <c>..</c>, absolute paths or
/// backslashes it contains.
/// </summary>
public static class ModelFiles
{
    static readonly HashSet<string> Needed = new(StringComparer.OrdinalIgnoreCase)
    {
        "config.json", "generation_config.json", "model.safetensors.index.json",
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
        "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "chat_template.json",
    };

    /// <summary>
    /// Whether the model needs <paramref name="path"/>: its config, safetensors weights and index, tokenizer files and
    /// generation config, at the top of the repository. Not the .bin/.pth/.h5/.msgpack/.onnx/.gguf duplicates of the
    /// weights, nor <c>original/</c> or other subfolders, nor Mistral's <c>consolidated</c> copy.
    /// </summary>
    public static bool IsNeeded(string path) =>
        !path.Contains('/') && (Needed.Contains(path)
            || (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && !path.StartsWith("consolidated", StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// The full path <paramref name="name"/> would have inside <paramref name="folder"/>, or null when the name is not a
    /// plain relative path that stays there (absolute, drive-qualified, with backslashes, empty, <c>.</c> or <c>..</c> segments,
    /// or control characters).
    /// </summary>
    public static string? SafePath(string folder, string name)
    {
        if (name.Length == 0 || name.Length > 1024 || name[0] == '/' || name.Contains('\\') || name.Contains(':')
            || name.Any(char.IsControl) || name.Split('/').Any(segment => segment is "" or "." or ".."))
            return null;
        string root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(Path.Combine(root, name));
        return full.StartsWith(root, StringComparison.Ordinal) && full.Length > root.Length ? full : null;
    }
}
