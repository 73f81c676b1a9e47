using System.Text;
using System.Text.Unicode;

namespace StyleStudio.Data.Import;

/// <summary>
/// The lines of a text file as UTF-8 bytes (the form the JSON parser reads), with their 1-based numbers, decoded
/// strictly: invalid bytes stop the read with the line and the byte offset in the file. Lines are split on the raw bytes
/// (LF, CRLF) for UTF-8 and GB18030, whose multi-byte characters never contain 0x0A, so the offending offset is exact;
/// UTF-8 lines are validated in place and never copied, others are transcoded; UTF-16 goes through a StreamReader.
/// Hand-written because no served package streams lines with byte positions. A line longer than the limit is skipped
/// unread (its length reported), so one endless line costs the limit, not the line.
/// </summary>
public static class LineReader
{
    /// <summary>Each line's bytes are valid until the enumeration moves on. <c>Skipped</c> is the length of a line over
    /// <paramref name="maxLineBytes"/> (its bytes are then empty), else 0.</summary>
    public static IEnumerable<(long Number, ReadOnlyMemory<byte> Utf8, long Skipped)> Read(string path, string encodingName, int bomLength,
        int maxLineBytes = int.MaxValue)
    {
        var encoding = TextEncodings.Strict(encodingName);
        return encoding is UnicodeEncoding ? ReadUtf16(path, encoding, bomLength) : ReadAsciiCompatible(path, encoding, bomLength, maxLineBytes);
    }

    static IEnumerable<(long, ReadOnlyMemory<byte>, long)> ReadAsciiCompatible(string path, Encoding encoding, int bomLength, int maxLineBytes)
    {
        bool utf8 = encoding is UTF8Encoding;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        stream.Position = bomLength;
        var buffer = new byte[1 << 20];
        int filled = 0;
        long number = 0, lineStart = bomLength;
        while (true)
        {
            int read = stream.Read(buffer, filled, buffer.Length - filled);
            filled += read;
            int start = 0;
            while (true)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start);
                if (newline < 0) break;
                number++;
                yield return (number, Line(buffer.AsMemory(start, newline - start), utf8, encoding, path, number, lineStart), 0);
                lineStart += newline + 1 - start;
                start = newline + 1;
            }
            if (read == 0)
            {
                if (filled > start)
                    yield return (++number, Line(buffer.AsMemory(start, filled - start), utf8, encoding, path, number, lineStart), 0);
                yield break;
            }
            // Keep the unfinished line; grow the buffer when one line fills it, up to the limit.
            filled -= start;
            Buffer.BlockCopy(buffer, start, buffer, 0, filled);
            if (filled < buffer.Length) continue;
            if (buffer.Length < maxLineBytes)
            {
                Array.Resize(ref buffer, (int)Math.Min(maxLineBytes, buffer.Length * 2L));
                continue;
            }
            // Over the limit: skip to the end of the line, keeping what follows it.
            long skipped = filled;
            filled = 0;
            bool ended = false;
            while (!ended && (read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                int newline = Array.IndexOf(buffer, (byte)'\n', 0, read);
                ended = newline >= 0;
                if (!ended)
                {
                    skipped += read;
                    continue;
                }
                skipped += newline;
                filled = read - newline - 1;
                Buffer.BlockCopy(buffer, newline + 1, buffer, 0, filled);
            }
            yield return (++number, ReadOnlyMemory<byte>.Empty, skipped);
            lineStart += skipped + 1;
            if (!ended) yield break;
        }
    }

    static ReadOnlyMemory<byte> Line(Memory<byte> line, bool utf8, Encoding encoding, string path, long number, long lineStart)
    {
        if (line.Length > 0 && line.Span[^1] == '\r') line = line[..^1];
        if (utf8)
        {
            if (Utf8.IsValid(line.Span)) return line;
            Utf8.ToUtf16(line.Span, new char[line.Length], out int valid, out _, replaceInvalidSequences: false);
            throw Invalid(path, number, lineStart + valid, encoding);
        }
        try
        {
            return Encoding.UTF8.GetBytes(encoding.GetString(line.Span));
        }
        catch (DecoderFallbackException e)
        {
            throw Invalid(path, number, lineStart + Math.Max(0, e.Index), encoding);
        }
    }

    static SourceFormatException Invalid(string path, long number, long offset, Encoding encoding) =>
        new(path, number, offset, $"bytes not valid in {encoding.WebName} (choose the file's encoding with --encoding)");

    static IEnumerable<(long, ReadOnlyMemory<byte>, long)> ReadUtf16(string path, Encoding encoding, int bomLength)
    {
        using var stream = File.OpenRead(path);
        stream.Position = bomLength;
        using var reader = new StreamReader(stream, encoding, detectEncodingFromByteOrderMarks: false);
        long number = 0;
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw new SourceFormatException(path, number + 1, null, $"bytes not valid in {encoding.WebName}");
            }
            if (line is null) yield break;
            yield return (++number, Encoding.UTF8.GetBytes(line), 0);
        }
    }
}
