namespace StyleStudio.Training.Tokenization;

/// <summary>
/// GPT-2's byte ↔ printable-character table used by byte-level BPE vocabularies: printable Latin-1 bytes stand for
/// themselves, the other 68 bytes are shifted to U+0100 upward (so a space is 'Ġ', a newline 'Ċ').
/// </summary>
static class ByteLevelAlphabet
{
    static readonly Dictionary<char, byte> CharToByte = Build();

    static Dictionary<char, byte> Build()
    {
        var map = new Dictionary<char, byte>();
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[printable ? (char)b : (char)(256 + shifted++)] = (byte)b;
        }
        return map;
    }

    /// <summary>
    /// The bytes a vocabulary string stands for. As in Hugging Face's ByteLevel decoder, a string with any character outside
    /// the table (an added token such as a Chinese word) stands for its own UTF-8 bytes.
    /// </summary>
    public static byte[] ToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i]))
                return System.Text.Encoding.UTF8.GetBytes(token);
        }
        return bytes;
    }
}
