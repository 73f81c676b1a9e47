using System.Text;
using System.Text.RegularExpressions;

namespace StyleStudio.Evaluation.Metrics;

/// <summary>The tokenizations BLEU is computed over, as sacreBLEU defines them.</summary>
public enum MtTokenization
{
    /// <summary>mteval-v13a, WMT's standard for English and other space-separated languages.</summary>
    Thirteen,
    /// <summary>Every Chinese character a token; the rest as 13a.</summary>
    Chinese,
}

/// <summary>
/// sacreBLEU's 13a and zh tokenizers, rule for rule, so scores computed here equal scores reported with sacreBLEU
/// (checked against sacreBLEU 2.6 in the tests). No .NET package implements them; they are small.
/// </summary>
public static partial class MtTokenizer
{
    public static string Tokenize(string line, MtTokenization tokenization) => tokenization switch
    {
        MtTokenization.Thirteen => Thirteen(line),
        _ => Chinese(line),
    };

    static string Thirteen(string line)
    {
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        return Split($" {line} ");
    }

    static string Chinese(string line)
    {
        var spaced = new StringBuilder(line.Length * 2);
        foreach (var rune in PythonStrip(line).EnumerateRunes())
        {
            if (IsChineseCharacter(rune)) spaced.Append(' ').Append(rune.ToString()).Append(' ');
            else spaced.Append(rune.ToString());
        }
        return Split(spaced.ToString());
    }

    /// <summary>
    /// sacreBLEU's table of "Chinese" code point ranges, including its quirk: two bounds are written as five-digit
    /// \u escapes, which Python reads as a BMP character plus a digit, so they compare as U+2001–U+2A6D and
    /// U+2F81–U+2FA1 (general punctuation such as … and — counts as Chinese there, and so it does here).
    /// </summary>
    static bool IsChineseCharacter(Rune rune)
    {
        int c = rune.Value;
        return c is >= 0x3400 and <= 0x4DB5 or >= 0x4E00 and <= 0x9FA5 or >= 0x9FA6 and <= 0x9FBB
            or >= 0xF900 and <= 0xFA2D or >= 0xFA30 and <= 0xFA6A or >= 0xFA70 and <= 0xFAD9
            or >= 0x2001 and <= 0x2A6D or >= 0x2F81 and <= 0x2FA1
            or >= 0xFF00 and <= 0xFFEF or >= 0x2E80 and <= 0x2EFF or >= 0x3000 and <= 0x303F or >= 0x31C0 and <= 0x31EF
            or >= 0x2F00 and <= 0x2FDF or >= 0x2FF0 and <= 0x2FFF or >= 0x3100 and <= 0x312F or >= 0x31A0 and <= 0x31BF
            or >= 0xFE10 and <= 0xFE1F or >= 0xFE30 and <= 0xFE4F or >= 0x2600 and <= 0x26FF or >= 0x2700 and <= 0x27BF
            or >= 0x3200 and <= 0x32FF or >= 0x3300 and <= 0x33FF;
    }

    // The regexp post-tokenizer both share: punctuation and symbols apart, periods and commas apart unless between
    // digits, a dash after a digit apart.
    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])")] private static partial Regex Symbols();
    [GeneratedRegex(@"([^0-9])([\.,])")] private static partial Regex PunctuationAfterNonDigit();
    [GeneratedRegex(@"([\.,])([^0-9])")] private static partial Regex PunctuationBeforeNonDigit();
    [GeneratedRegex(@"([0-9])(-)")] private static partial Regex DashAfterDigit();

    static string Split(string line)
    {
        line = Symbols().Replace(line, " $1 ");
        line = PunctuationAfterNonDigit().Replace(line, "$1 $2 ");
        line = PunctuationBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return string.Join(' ', PythonSplit(line));
    }

    /// <summary>Python's str.split(): runs of whitespace as Python defines it (which adds U+001C–U+001F to .NET's).</summary>
    internal static IEnumerable<string> PythonSplit(string text)
    {
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool space = i == text.Length || IsPythonSpace(text[i]);
            if (space && start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
            else if (!space && start < 0) start = i;
        }
    }

    internal static string PythonStrip(string text) => text.Trim().Trim('\x1c', '\x1d', '\x1e', '\x1f').Trim();

    static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';
}
