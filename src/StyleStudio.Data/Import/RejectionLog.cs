using System.Text.Json;
using StyleStudio.Data.Model;

namespace StyleStudio.Data.Import;

/// <summary>
/// The rows an import rejects: every one counted, the first <c>keep</c> held for the report, and — when a report file
/// is given — every one written there as JSON Lines (<c>{"row", "field", "reason"}</c>), so a file of millions of bad
/// rows costs a counter, not memory, and none is lost. The file is created at the first rejection.
/// </summary>
public sealed class RejectionLog(int keep, string? reportFile) : IDisposable
{
    readonly List<RowError> kept = [];
    Utf8JsonWriter? writer;
    FileStream? stream;

    public long Count { get; private set; }
    public IReadOnlyList<RowError> Kept => kept;
    /// <summary>The JSON Lines file holding every rejection; null when none was asked for or none was written.</summary>
    public string? ReportFile => stream is null ? null : reportFile;

    public void Add(RowError error)
    {
        Count++;
        if (kept.Count < keep) kept.Add(error);
        if (reportFile is null) return;
        if (stream is null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(reportFile)!);
            stream = new FileStream(reportFile, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }
        writer!.WriteStartObject();
        writer.WriteNumber("row", error.Location);
        writer.WriteString("field", error.Field);
        writer.WriteString("reason", error.Reason);
        writer.WriteEndObject();
        writer.Flush();
        stream.WriteByte((byte)'\n');
        writer.Reset();
    }

    public void Dispose()
    {
        writer?.Dispose();
        stream?.Dispose();
    }
}
