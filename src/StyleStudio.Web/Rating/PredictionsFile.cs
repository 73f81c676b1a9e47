using System.Text;

namespace StyleStudio.Web.Rating;

/// <summary>
/// Reads an uploaded predictions file: UTF-8 (a BOM is allowed), one output per line (LF or CRLF; a final line break
/// ends the last line rather than adding an empty one).
/// </summary>
public static class PredictionsFile
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <exception cref="ArgumentException">Bytes that are not UTF-8 (with the line they are on), or an empty file.</exception>
    public static PredictionsSystem Read(string fileName, byte[] bytes)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[3..];
        string text;
        try
        {
            text = Strict.GetString(span);
        }
        catch (DecoderFallbackException e)
        {
            int line = 1 + span[..Math.Max(0, e.Index)].Count((byte)'\n');
            throw new ArgumentException($"{fileName} line {line}: bytes that are not UTF-8 (save the file as UTF-8)");
        }
        if (text.Length == 0) throw new ArgumentException($"{fileName} is empty: it needs one output per line, one line per study item");
        if (text.EndsWith('\n')) text = text[..^1];
        var lines = text.Split('\n').Select(line => line.TrimEnd('\r')).ToList();
        return new PredictionsSystem(fileName, lines);
    }
}
