using System.Text.RegularExpressions;

namespace StyleStudio.Evaluation.Metrics;

/// <summary>
/// TER's options, as sacreBLEU names them. The defaults are sacreBLEU's: lowercased, whitespace-split, nothing else —
/// so an unspaced Chinese sentence is one word; <see cref="Normalized"/> with <see cref="AsianSupport"/> splits it
/// into characters.
/// </summary>
/// <param name="Normalized">Tercom's normalization: entities decoded, punctuation split off (and CJK characters
/// apart with <see cref="AsianSupport"/>).</param>
/// <param name="NoPunctuation">Remove punctuation (and CJK / full-width punctuation with <see cref="AsianSupport"/>).</param>
/// <param name="AsianSupport">The CJK rules of the two options above.</param>
/// <param name="CaseSensitive">Keep case (sacreBLEU lowercases by default).</param>
public sealed record TerOptions(bool Normalized = false, bool NoPunctuation = false, bool AsianSupport = false, bool CaseSensitive = false)
{
    public static readonly TerOptions Default = new();
}

/// <summary>
/// sacreBLEU 2.6's Tercom tokenizer (a port of Tercom's Normalizer.java), rule for rule: regexes that only touch BMP
/// ranges behave the same in .NET as in Python's re, so they are kept as written there.
/// </summary>
public static partial class TercomTokenizer
{
    public static string[] Words(string sentence, TerOptions options)
    {
        sentence = PythonText.RStrip(sentence);
        if (sentence.Length == 0) return [];
        if (!options.CaseSensitive) sentence = PythonText.Lower(sentence);
        if (options.Normalized)
        {
            sentence = GeneralAndWestern(sentence);
            if (options.AsianSupport) sentence = Asian(sentence);
        }
        if (options.NoPunctuation)
        {
            sentence = Punctuation().Replace(sentence, "");
            if (options.AsianSupport) sentence = FullWidthPunctuation().Replace(AsianPunctuation().Replace(sentence, ""), "");
        }
        return MtTokenizer.PythonSplit(sentence).ToArray();
    }

    static string GeneralAndWestern(string s)
    {
        s = s.Replace("\n-", "").Replace("\n", " ")
            .Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        s = $" {s} ";
        s = WesternPunctuation().Replace(s, " $1 ");
        s = PossessiveInside().Replace(s, " 's ");
        s = PossessiveAtEnd().Replace(s, " 's");
        s = PeriodCommaAfterNonDigit().Replace(s, "$1 $2 ");
        s = PeriodCommaBeforeNonDigit().Replace(s, " $1 $2");
        return DashAfterDigit().Replace(s, "$1 $2 ");
    }

    static string Asian(string s)
    {
        s = CjkIdeographs().Replace(s, " $1 ");
        s = CjkStrokesAndRadicals().Replace(s, " $1 ");
        s = CjkCompatibility().Replace(s, " $1 ");
        s = CjkEnclosed().Replace(s, " $1 ");
        s = Hiragana().Replace(s, "$1 $2 ");
        s = Katakana().Replace(s, "$1 $2 ");
        s = KatakanaExtensions().Replace(s, "$1 $2 ");
        s = AsianPunctuation().Replace(s, " $1 ");
        return FullWidthPunctuation().Replace(s, " $1 ");
    }

    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])")] private static partial Regex WesternPunctuation();
    [GeneratedRegex(@"'s ")] private static partial Regex PossessiveInside();
    [GeneratedRegex(@"'s$")] private static partial Regex PossessiveAtEnd();
    [GeneratedRegex(@"([^0-9])([\.,])")] private static partial Regex PeriodCommaAfterNonDigit();
    [GeneratedRegex(@"([\.,])([^0-9])")] private static partial Regex PeriodCommaBeforeNonDigit();
    [GeneratedRegex(@"([0-9])(-)")] private static partial Regex DashAfterDigit();
    [GeneratedRegex(@"([\u4e00-\u9fff\u3400-\u4dbf])")] private static partial Regex CjkIdeographs();
    [GeneratedRegex(@"([\u31c0-\u31ef\u2e80-\u2eff])")] private static partial Regex CjkStrokesAndRadicals();
    [GeneratedRegex(@"([\u3300-\u33ff\uf900-\ufaff\ufe30-\ufe4f])")] private static partial Regex CjkCompatibility();
    // sacreBLEU's range, wider than its comment's "3200–32FF Enclosed CJK Letters and Months"; kept as it runs.
    [GeneratedRegex(@"([\u3200-\u3f22])")] private static partial Regex CjkEnclosed();
    // As written in sacreBLEU (the "^[…]" alternatives can only match at the start); kept for identical output.
    [GeneratedRegex(@"(^|^[\u3040-\u309f])([\u3040-\u309f]+)(?=$|^[\u3040-\u309f])")] private static partial Regex Hiragana();
    [GeneratedRegex(@"(^|^[\u30a0-\u30ff])([\u30a0-\u30ff]+)(?=$|^[\u30a0-\u30ff])")] private static partial Regex Katakana();
    [GeneratedRegex(@"(^|^[\u31f0-\u31ff])([\u31f0-\u31ff]+)(?=$|^[\u31f0-\u31ff])")] private static partial Regex KatakanaExtensions();
    [GeneratedRegex(@"([\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb])")] private static partial Regex AsianPunctuation();
    [GeneratedRegex(@"([\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09])")] private static partial Regex FullWidthPunctuation();
    [GeneratedRegex(@"[\.,\?:;!""\(\)]")] private static partial Regex Punctuation();
}
