using System.Globalization;
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
    /// <summary>mteval-v14's international tokenization: Unicode punctuation and symbols apart (not between digits).</summary>
    International,
    /// <summary>Every character (code point) a token.</summary>
    Character,
    /// <summary>Whitespace only, as the text comes.</summary>
    None,
}

/// <summary>The names sacreBLEU gives the tokenizations (<c>--tokenize</c>), both ways.</summary>
public static class MtTokenizationNames
{
    static readonly (string Name, MtTokenization Value)[] Table =
    [
        ("13a", MtTokenization.Thirteen), ("zh", MtTokenization.Chinese), ("intl", MtTokenization.International),
        ("char", MtTokenization.Character), ("none", MtTokenization.None),
    ];

    public static IEnumerable<string> All => Table.Select(t => t.Name);

    public static string Name(this MtTokenization tokenization) => Table.Single(t => t.Value == tokenization).Name;

    /// <exception cref="ArgumentException">The name is none of sacreBLEU's tokenizers we implement.</exception>
    public static MtTokenization Parse(string name) =>
        Table.FirstOrDefault(t => t.Name == name) is { Name: not null } hit ? hit.Value
            : throw new ArgumentException($"unknown tokenization '{name}': use one of {string.Join(", ", All)}");
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
        MtTokenization.Chinese => Chinese(line),
        MtTokenization.International => International(line),
        MtTokenization.Character => string.Join(' ', line.EnumerateRunes()),
        MtTokenization.None => line,
        _ => throw new ArgumentOutOfRangeException(nameof(tokenization)),
    };

    static string Thirteen(string line)
    {
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        return Split($" {line} ");
    }

    /// <summary>
    /// sacreBLEU's "intl" (mteval-v14): a punctuation mark apart from a non-digit before it, then from a non-digit after
    /// it, then every symbol apart. Written over code points rather than as .NET regexes, which see an astral character
    /// (an emoji, a rare CJK symbol) as two surrogates of category Cs, where Python's regex module sees one So.
    /// </summary>
    static string International(string line)
    {
        var runes = line.EnumerateRunes().ToArray();
        // Each pass is re.sub with a two-rune pattern: leftmost match, then scanning on after it.
        runes = PairPass(runes, (a, b) => !IsNumber(a) && IsPunctuation(b), (a, b) => [a, Space, b, Space]);
        runes = PairPass(runes, (a, b) => IsPunctuation(a) && !IsNumber(b), (a, b) => [Space, a, Space, b]);
        var spaced = new StringBuilder(line.Length * 2);
        foreach (var rune in runes)
            if (IsSymbol(rune)) spaced.Append(' ').Append(rune.ToString()).Append(' ');
            else spaced.Append(rune.ToString());
        return string.Join(' ', PythonSplit(spaced.ToString()));
    }

    static readonly Rune Space = new(' ');

    static Rune[] PairPass(Rune[] runes, Func<Rune, Rune, bool> matches, Func<Rune, Rune, Rune[]> replace)
    {
        var output = new List<Rune>(runes.Length + 8);
        int i = 0;
        while (i < runes.Length)
        {
            if (i + 1 < runes.Length && matches(runes[i], runes[i + 1]))
            {
                output.AddRange(replace(runes[i], runes[i + 1]));
                i += 2;
            }
            else output.Add(runes[i++]);
        }
        return [.. output];
    }

    static bool IsNumber(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    static bool IsPunctuation(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation
        or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
        or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    static bool IsSymbol(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.MathSymbol
        or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

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
