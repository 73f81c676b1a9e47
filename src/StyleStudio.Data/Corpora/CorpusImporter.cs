using StyleStudio.Data.Storage;

namespace StyleStudio.Data.Corpora;

/// <summary>What to import a file as.</summary>
/// <param name="Name">The corpus's name (dataset-name rules).</param>
/// <param name="Style">The style label of every text; may be empty and set later.</param>
/// <param name="Encoding">For .txt and .md; null detects it.</param>
/// <param name="SourceFile">The file name to record (an upload's original name); null: the file's own name.</param>
public sealed record CorpusImportOptions(string Name, string Style = "", CorpusSegmentation Segmentation = CorpusSegmentation.Paragraphs,
    string? Encoding = null, string? SourceFile = null);

/// <summary>
/// File → paragraphs → (sentences) → a corpus in the store, streamed: the store takes texts in chunks while the file is
/// read, reporting how many texts are stored so far. The corpus is stored whole or not at all; a file that yields no
/// text stores nothing and says so.
/// </summary>
public static class CorpusImporter
{
    const int ProgressEvery = 1_000;

    public static CorpusRecord Import(CorpusStore store, string path, CorpusImportOptions options, IProgress<long>? progress = null,
        CancellationToken cancellation = default)
    {
        DatasetNames.Check(options.Name);
        if (store.Find(options.Name) is not null) throw new ArgumentException($"a corpus named '{options.Name}' already exists");
        string sourceFile = options.SourceFile ?? Path.GetFileName(path);
        long count = 0;
        IEnumerable<string> Counted()
        {
            foreach (var text in CorpusReader.Read(path, options.Segmentation, options.Encoding))
            {
                yield return text;
                if (++count % ProgressEvery == 0)
                {
                    progress?.Report(count);
                    cancellation.ThrowIfCancellationRequested();
                }
            }
            if (count == 0) throw new CorpusFileException(sourceFile, "holds no text (only blank lines, or markup without prose); nothing was imported");
        }
        var corpus = store.Create(options.Name, options.Style, sourceFile, Counted(), options.Segmentation.Name());
        progress?.Report(count);
        return corpus;
    }
}
