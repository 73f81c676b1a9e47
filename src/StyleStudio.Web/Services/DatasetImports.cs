using Microsoft.Extensions.Options;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Services;

/// <summary>The two stages of an upload that show progress.</summary>
public enum ImportPhase { Uploading, ImportingRows }

/// <summary>Where an upload stands: bytes received (of <paramref name="Total"/> when the browser says), then rows imported.</summary>
public sealed record ImportProgress(ImportPhase Phase, long Done, long? Total);

/// <summary>
/// An uploaded file waiting in the mapping step: a scratch copy under the data folder's incoming/ (readers need a
/// seekable file with the original extension). Disposing deletes it; the store keeps its own copy of what is imported.
/// </summary>
public sealed class PendingUpload(string folder, string fileName) : IDisposable
{
    public string FileName { get; } = fileName;
    public string Path { get; } = System.IO.Path.Combine(folder, fileName);

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}

/// <summary>
/// The studio's import in its steps: receive the browser's stream into a <see cref="PendingUpload"/>, preview mappings
/// over it (nothing stored), and import it with the mapping the user confirmed — on worker threads, so the circuit
/// stays responsive.
/// </summary>
public sealed class DatasetImports
{
    const int CopyBuffer = 1 << 20;
    readonly DataStore store;
    readonly ImportLimits limits;
    readonly string incoming;

    public DatasetImports(DataStore store, IOptions<ImportLimits> limits)
    {
        this.store = store;
        this.limits = limits.Value;
        // Uploads only wait here while a page holds them; the store cleared any a stopped process left when it opened.
        incoming = store.IncomingFolder;
    }

    public async Task<PendingUpload> ReceiveAsync(Stream upload, string fileName, long? size, IProgress<ImportProgress> progress,
        CancellationToken cancellation)
    {
        var pending = new PendingUpload(Directory.CreateDirectory(Path.Combine(incoming, Guid.NewGuid().ToString("N"))).FullName,
            Path.GetFileName(fileName));
        try
        {
            await using var file = File.Create(pending.Path);
            var buffer = new byte[CopyBuffer];
            long received = 0;
            int read;
            while ((read = await upload.ReadAsync(buffer, cancellation)) > 0)
            {
                await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
                received += read;
                progress.Report(new ImportProgress(ImportPhase.Uploading, received, size));
            }
            return pending;
        }
        catch
        {
            pending.Dispose();
            throw;
        }
    }

    public Task<MappingPreview> PreviewAsync(PendingUpload upload, ImportOptions options) =>
        Task.Run(() => DatasetImporter.Preview(upload.Path, options with { Limits = limits }));

    /// <summary>
    /// Stores the upload as a dataset and deletes the scratch copy; on failure or cancellation nothing is stored and the
    /// upload stays for another try.
    /// </summary>
    public async Task<(DatasetSummary Dataset, ImportReport Report)> ImportAsync(PendingUpload upload, string name, ImportOptions options,
        IProgress<ImportProgress> progress, CancellationToken cancellation)
    {
        DatasetNames.Check(name);
        if (store.Datasets().Any(d => d.Name == name)) throw new ArgumentException($"a dataset named '{name}' already exists");
        var rows = new Progress<long>(count => progress.Report(new ImportProgress(ImportPhase.ImportingRows, count, null)));
        var result = await Task.Run(() => store.Import(name, upload.Path, options with { Limits = limits }, rows, cancellation), cancellation);
        upload.Dispose();
        return result;
    }
}
