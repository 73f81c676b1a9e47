using System.Text;

namespace StyleStudio.Training.Tokenization;

/// <summary>
/// Turns a stream of token ids into text deltas without ever emitting half a character: a multi-byte UTF-8 character
/// split across tokens (common for Chinese and emoji in byte-level BPE) is held back until its last byte arrives.
/// </summary>
public sealed class StreamingDetokenizer(TextTokenizer tokenizer, bool skipSpecialTokens = true)
{
    readonly Decoder decoder = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();

    /// <summary>Text completed by this token; empty while a character is still incomplete.</summary>
    public string Push(int id)
    {
        if (skipSpecialTokens && tokenizer.IsSpecial(id)) return "";
        var bytes = tokenizer.TokenBytes(id);
        var chars = new char[decoder.GetCharCount(bytes, flush: false)];
        decoder.GetChars(bytes, chars, flush: false);
        return new string(chars);
    }

    /// <summary>Whatever is left at the end of generation; an incomplete character becomes U+FFFD.</summary>
    public string Flush()
    {
        var chars = new char[decoder.GetCharCount([], flush: true)];
        decoder.GetChars([], chars, flush: true);
        return new string(chars);
    }
}
