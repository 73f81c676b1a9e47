using StyleStudio.Tests.Support;
using StyleStudio.Training.Export.Gguf;

namespace StyleStudio.Tests.Export;

/// <summary>The application entry point reports its progress as it goes and leaves nothing behind when cancelled.</summary>
public sealed class GgufExportProgressTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("gguf-progress-").FullName;

    sealed class Recorder : IProgress<GgufExportProgress>
    {
        public List<GgufExportProgress> Reports { get; } = [];
        public void Report(GgufExportProgress value) => Reports.Add(value);
    }

    [Fact]
    public void Progress_counts_every_tensor_and_its_bytes_then_says_done()
    {
        var recorder = new Recorder();
        string output = Path.Combine(folder, "qwen3.gguf");
        var result = GgufExport.Run(new GgufExportRequest(Fixtures.Model("qwen3"), output, GgufExportType.F16), recorder, TestContext.Current.CancellationToken);

        var writing = recorder.Reports.Where(r => r.Stage == "writing tensors").ToList();
        Assert.Equal(Enumerable.Range(0, result.TensorCount + 1), writing.Select(r => r.TensorsDone));
        Assert.All(writing, r => Assert.Equal(result.TensorCount, r.TensorCount));
        Assert.True(writing.Zip(writing.Skip(1)).All(p => p.Second.BytesWritten > p.First.BytesWritten));
        Assert.InRange(writing[^1].BytesWritten, result.Bytes / 2, result.Bytes);     // tensor data is most of the file
        Assert.Equal(new GgufExportProgress("done", result.TensorCount, result.TensorCount, result.Bytes), recorder.Reports[^1]);
        Assert.Equal(new FileInfo(output).Length, result.Bytes);
    }

    [Fact]
    public void Cancelled_export_leaves_no_file()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        string output = Path.Combine(folder, "qwen2.gguf");
        Assert.Throws<OperationCanceledException>(() => GgufExport.Run(new GgufExportRequest(Fixtures.Model("qwen2"), output, GgufExportType.F16), null, cancel.Token));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
