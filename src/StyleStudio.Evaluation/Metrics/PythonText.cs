using System.Globalization;
using System.Text;

namespace StyleStudio.Evaluation.Metrics;

/// <summary>
/// Python's <c>str.lower()</c> and <c>str.rstrip()</c>, which the reference metrics (sacreBLEU, NLTK) apply before
/// comparing words. .NET's invariant lowering differs in the two places Python follows Unicode's full case mapping:
/// 'İ' becomes "i̇" (two code points), and a capital sigma at the end of a word becomes 'ς' (Final_Sigma).
/// </summary>
public static class PythonText
{
    public static string Lower(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        var lowered = new StringBuilder(text.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            var rune = runes[i];
            if (rune.Value == 0x0130) lowered.Append("i\u0307");
            else if (rune.Value == 0x03A3) lowered.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            else lowered.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return lowered.ToString();
    }

    /// <summary>Python's <c>rstrip()</c>: trailing whitespace as Python defines it (U+001C–U+001F included).</summary>
    public static string RStrip(string text)
    {
        int end = text.Length;
        while (end > 0 && IsSpace(text[end - 1])) end--;
        return text[..end];
    }

    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    // Unicode's Final_Sigma: a cased letter before (case-ignorable characters skipped), none after.
    static bool IsFinalSigma(Rune[] runes, int at)
    {
        int before = at - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before])) before--;
        if (before < 0 || !IsCased(runes[before])) return false;
        int after = at + 1;
        while (after < runes.Length && IsCaseIgnorable(runes[after])) after++;
        return after >= runes.Length || !IsCased(runes[after]);
    }

    static bool IsCased(Rune rune) => Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;

    static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0x00B7 or 0x00AD or 0x0387 or 0x05F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
