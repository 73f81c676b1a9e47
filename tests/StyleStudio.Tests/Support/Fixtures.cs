using System.IO.Compression;
using System.Text;

namespace StyleStudio.Tests.Support;

/// <summary>Paths to committed reference fixtures (made by tools/reference/make_reference.py with transformers).</summary>
static class Fixtures
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Model(string name) => Path.Combine(Root, "models", name);

    public static string Tokenizers => Path.Combine(Root, "tokenizers");

    /// <summary>The checkout the tests were built from (for files outside the test project: examples/, samples/).</summary>
    public static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "StyleStudio.sln"))) folder = folder.Parent;
        return folder?.FullName ?? throw new DirectoryNotFoundException("StyleStudio.sln not found above the test folder");
    }

    /// <summary>Lines of a gzip text fixture.</summary>
    public static IEnumerable<string> GzipLines(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
        while (reader.ReadLine() is { } line) yield return line;
    }

    /// <summary>The tokenizer corpus, one sample per line, with \n, \r and \\ escapes undone.</summary>
    public static List<string> Corpus() => GzipLines(Path.Combine(Tokenizers, "corpus.txt.gz")).Select(Unescape).ToList();

    static string Unescape(string line)
    {
        var text = new StringBuilder(line.Length);
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length)
            {
                text.Append(line[++i] switch { 'n' => '\n', 'r' => '\r', _ => line[i] });
                continue;
            }
            text.Append(line[i]);
        }
        return text.ToString();
    }
}
