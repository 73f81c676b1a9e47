using StyleStudio.Data.Corpora;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;

namespace StyleStudio.Web.Pairs;

/// <summary>
/// The studio's corpora: an uploaded file (received into a scratch copy as dataset uploads are) imported as a corpus on a
/// worker thread with progress, the list, a corpus's first texts, its style label, deletion. The page keeps form state only.
/// </summary>
public sealed class CorpusImports(DataStore store, DatasetImports uploads)
{
    /// <summary>How many texts the studio shows of a corpus (the CLI's <c>data corpus show --limit 0</c> shows all).</summary>
    public const int ShownTexts = 200;

    /// <summary>The file picker's filter: the kinds <see cref="CorpusReader"/> reads.</summary>
    public static string Accepted => string.Join(",", CorpusReader.Extensions);

    public IReadOnlyList<CorpusRecord> All() => store.Corpora.All();

    /// <summary>The browser's stream into a scratch copy (see <see cref="DatasetImports.ReceiveAsync"/>).</summary>
    public Task<PendingUpload> ReceiveAsync(Stream upload, string fileName, long? size, IProgress<ImportProgress> progress, CancellationToken cancellation) =>
        uploads.ReceiveAsync(upload, fileName, size, progress, cancellation);

    /// <summary>
    /// Reads the upload into a new corpus, recording the uploaded file's name, and deletes the scratch copy. On failure or
    /// cancellation nothing is stored and the upload stays, so another encoding or segmentation can be tried.
    /// </summary>
    public async Task<CorpusRecord> ImportAsync(PendingUpload upload, CorpusImportOptions options, IProgress<ImportProgress> progress,
        CancellationToken cancellation)
    {
        var texts = new Progress<long>(count => progress.Report(new ImportProgress(ImportPhase.ImportingRows, count, null)));
        var corpus = await Task.Run(() => CorpusImporter.Import(store.Corpora, upload.Path, options with { SourceFile = upload.FileName }, texts, cancellation),
            cancellation);
        upload.Dispose();
        return corpus;
    }

    /// <summary>The corpus's first <see cref="ShownTexts"/> texts.</summary>
    public IReadOnlyList<string> FirstTexts(string name) => store.Corpora.Texts(name, ShownTexts);

    public CorpusRecord SetStyle(string name, string style) => store.Corpora.SetStyle(name, style);

    public void Delete(string name) => store.Corpora.Delete(name);
}
