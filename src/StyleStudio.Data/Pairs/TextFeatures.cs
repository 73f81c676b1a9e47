using System.Globalization;
using System.Text;

namespace StyleStudio.Data.Pairs;

/// <summary>
/// What two texts in different styles still share when they say the same thing: for Chinese, characters and character
/// bigrams (古文 keeps the content characters of 白话 — 天, 气, 园 — while the function words change); for English and
/// other spaced scripts, words and the character 3- and 4-grams inside them (so "cancelled" still meets "cancel").
/// Text is compared after NFKC (full-width letters and digits become ASCII) and lower-casing; punctuation is ignored.
/// </summary>
public static class TextFeatures
{
    /// <summary>The features of <paramref name="text"/> with their counts .</summary>
    public static Dictionary<string, double> Of(string text)
    {
        var counts = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(string feature) => counts[feature] = counts.GetValueOrDefault(feature) + 1;
        string normalized = text.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var words = new List<string>();
        var word = new StringBuilder();
        char previousHan = '\0';
        bool anyHan = false;
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (IsHan(rune))
            {
                FlushWord();
                anyHan = true;
                string character = rune.ToString();
                Add(character);
                if (previousHan != '\0') Add(string.Concat(previousHan.ToString(), character));
                previousHan = character.Length == 1 ? character[0] : '\0';   // bigrams over the BMP only; rarer characters count alone
                continue;
            }
            previousHan = '\0';
            if (Rune.IsLetterOrDigit(rune) || (rune.Value is '\'' or '\u2019' && word.Length > 0)) word.Append(rune.Value == '\u2019' ? "'" : rune.ToString());
            else FlushWord();
        }
        FlushWord();
        foreach (var w in words)
        {
            Add("w:" + w);
            string padded = " " + w + " ";
            for (int n = 3; n <= 4; n++)
                for (int i = 0; i + n <= padded.Length; i++) Add("c:" + padded.Substring(i, n));
        }
        foreach (int concept in RegisterLexicon.Concepts(words)) Add("e:" + concept.ToString(CultureInfo.InvariantCulture));
        if (anyHan)
            foreach (int concept in ClassicalLexicon.Concepts(normalized)) Add("k:" + concept.ToString(CultureInfo.InvariantCulture));
        return counts;

        void FlushWord()
        {
            if (word.Length == 0) return;
            string w = word.ToString().TrimEnd('\'');
            word.Clear();
            if (w.Length > 0) words.AddRange(RegisterLexicon.Expand(w));
        }
    }

    /// <summary>Han ideographs (CJK unified, extensions and compatibility), which carry meaning one character at a time.</summary>
    public static bool IsHan(Rune rune) => rune.Value is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0xF900 and <= 0xFAFF)
        or (>= 0x20000 and <= 0x3134F);

    /// <summary>True when most letters of <paramref name="text"/> are Han characters.</summary>
    public static bool IsMostlyHan(string text)
    {
        int han = 0, letters = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsHan(rune)) han++;
            if (Rune.IsLetter(rune)) letters++;
        }
        return letters > 0 && han * 2 > letters;
    }

    internal static string Invariant(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
