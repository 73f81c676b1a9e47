using System.Text;

namespace StyleStudio.Evaluation.Scoring;

/// <summary>Thrown for a segment file that cannot be used as it is: not found, not UTF-8, or of the wrong length.</summary>
public sealed class LineFileException(string message) : Exception(message);

/// <summary>
/// A file of segments, one per line, read as sacreBLEU's command line reads one: UTF-8 (a BOM is dropped), lines split on
/// "\n" only, each line stripped of trailing whitespace (so "\r\n" files read the same), no line after a final newline.
/// </summary>
public static class LineFile
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path)) throw new LineFileException($"{path}: no such file");
        var bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            int at = start + Math.Max(0, e.Index);
            int line = 1 + bytes.AsSpan(0, Math.Min(at, bytes.Length)).Count((byte)'\n');
            throw new LineFileException($"{path}: line {line} is not valid UTF-8 (byte {at}); save the file as UTF-8");
        }
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        return lines.Select(Metrics.PythonText.RStrip).ToList();
    }
}
