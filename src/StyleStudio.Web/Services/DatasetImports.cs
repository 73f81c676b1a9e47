using Microsoft.Extensions.Options;
using StyleStudio.Data.Import;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Services;

/// <summary>Where an upload stands: bytes received, then rows imported.</summary>
public sealed record ImportProgress(string Phase, long Done, long? Total);

/// <summary>
/// Turns an uploaded file into a dataset: the browser's stream is written to a scratch file under the data folder
/// (readers need a seekable file with the original extension), imported into the <see cref="DataStore"/> on a worker
/// thread, and the scratch file removed — the store keeps its own copy of the original.
/// </summary>
public sealed class DatasetImports(DataStore store, IOptions<StudioOptions> options)
{
    const int CopyBuffer = 1 << 20;

    public async Task<(DatasetSummary Dataset, ImportReport Report)> ImportAsync(Stream upload, string fileName, long? size,
        string name, ImportOptions importOptions, IProgress<ImportProgress> progress, CancellationToken cancellation)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("give the dataset a name");
        if (store.Datasets().Any(d => d.Name == name)) throw new ArgumentException($"a dataset named '{name}' already exists");
        string scratch = Path.Combine(options.Value.DataFolder, "incoming", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            string path = Path.Combine(scratch, Path.GetFileName(fileName));
            await using (var file = File.Create(path))
            {
                var buffer = new byte[CopyBuffer];
                long received = 0;
                int read;
                while ((read = await upload.ReadAsync(buffer, cancellation)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
                    received += read;
                    progress.Report(new ImportProgress("Uploading", received, size));
                }
            }
            var rows = new Progress<long>(count => progress.Report(new ImportProgress("Importing rows", count, null)));
            return await Task.Run(() => store.Import(name, path, importOptions, rows, cancellation), cancellation);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
