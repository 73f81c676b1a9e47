using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;

namespace StyleStudio.Data.Import;

/// <summary>
/// Which text encoding a file uses: a byte-order mark decides; otherwise zero-byte patterns reveal UTF-16, valid UTF-8
/// is UTF-8, and valid GB18030 (a superset of GBK, common in Chinese spreadsheets) is GB18030. Decoders throw on invalid
/// bytes so that bad input is reported, never replaced silently.
/// </summary>
public static class TextEncodings
{
    const int SampleBytes = 64 * 1024;

    static TextEncodings() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>Makes the code-page encodings (GB18030, and those ExcelDataReader needs) available; idempotent.</summary>
    public static void EnsureCodePages() => RuntimeHelpers.RunClassConstructor(typeof(TextEncodings).TypeHandle);

    public static readonly IReadOnlyList<string> Names = ["utf-8", "utf-16le", "utf-16be", "gb18030", "gbk"];

    /// <summary>A strict decoder for <paramref name="name"/> (see <see cref="Names"/>).</summary>
    public static Encoding Strict(string name) => name.ToLowerInvariant() switch
    {
        "utf-8" or "utf8" or "utf-8-sig" => new UTF8Encoding(false, throwOnInvalidBytes: true),
        "utf-16le" or "utf-16" => new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true),
        "utf-16be" => new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true),
        // GBK text is valid GB18030 with the same meaning, so one decoder serves both.
        "gb18030" or "gbk" or "gb2312" => Encoding.GetEncoding("GB18030", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback),
        _ => throw new ArgumentException($"unknown encoding '{name}'; choose from {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>The encoding's name and the length of its byte-order mark at the start of <paramref name="file"/>.</summary>
    public static (string Name, int BomLength) Detect(string file)
    {
        using var stream = File.OpenRead(file);
        var sample = new byte[SampleBytes];
        int length = stream.ReadAtLeast(sample, sample.Length, throwOnEndOfStream: false);
        bool complete = length < SampleBytes;
        return Detect(sample.AsSpan(0, length), complete);
    }

    static (string, int) Detect(ReadOnlySpan<byte> sample, bool complete)
    {
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) return ("utf-8", 3);
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return ("utf-16le", 2);
        if (sample.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return ("utf-16be", 2);
        if (Utf16Order(sample) is { } utf16) return (utf16, 0);
        if (IsValidUtf8(sample, complete)) return ("utf-8", 0);
        if (IsValid(sample, Strict("gb18030"), complete)) return ("gb18030", 0);
        return ("utf-8", 0);
    }

    /// <summary>
    /// UTF-16 text without a BOM has a zero byte in every ASCII character (line breaks, separators, markup), on the high
    /// side; CJK characters rarely have one. Mostly-CJK UTF-16 without a BOM is not told apart: pass --encoding then.
    /// </summary>
    static string? Utf16Order(ReadOnlySpan<byte> sample)
    {
        int even = 0, odd = 0;
        for (int i = 0; i + 1 < sample.Length; i += 2)
        {
            if (sample[i] == 0) even++;
            if (sample[i + 1] == 0) odd++;
        }
        int pairs = Math.Max(1, sample.Length / 2);
        if (odd > pairs / 8 && even * 8 < odd) return "utf-16le";
        if (even > pairs / 8 && odd * 8 < even) return "utf-16be";
        return null;
    }

    /// <summary>Valid UTF-8, allowing a character cut off at the end of an incomplete sample.</summary>
    static bool IsValidUtf8(ReadOnlySpan<byte> sample, bool complete)
    {
        var chars = new char[sample.Length];
        var status = Utf8.ToUtf16(sample, chars, out int read, out _, replaceInvalidSequences: false, isFinalBlock: complete);
        return status == System.Buffers.OperationStatus.Done || (!complete && status == System.Buffers.OperationStatus.NeedMoreData && sample.Length - read < 4);
    }

    static bool IsValid(ReadOnlySpan<byte> sample, Encoding encoding, bool complete)
    {
        try
        {
            var decoder = encoding.GetDecoder();
            decoder.GetCharCount(sample, flush: complete);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
