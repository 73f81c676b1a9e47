namespace StyleStudio.Data.Corpora;

/// <summary>
/// Splits a paragraph into sentences, for Chinese, English and the two mixed.
/// <list type="bullet">
/// <item>Chinese: a sentence ends after 。！？； or an ellipsis (…, ……, ⋯⋯), together with the closing quotes and brackets
/// that follow (」』”’）》】).</item>
/// <item>English: after . ! ? "..." or "…" followed by a space and a word that does not start in lower case (or by the end,
/// or by Chinese). Not after titles (Mr. Dr. St.), Latin abbreviations (e.g. i.e. etc. before a lower-case word), initials
/// (J. K.), nor inside numbers (3.14), nor before a lower-case word or a number ("the U.S. in 1990", "etc. and so on").</item>
/// <item>Quotes: text inside a matched pair of 「」, 『』 or “” is never split, so quoted speech that holds several
/// sentences stays one piece with the words around it (他说：「……。……。」); a quotation that itself ends with a sentence
/// end closes the sentence after its closing mark (「走吧。」 | 他转身就走。). A quote that never closes (speech running on
/// into the next paragraph) does not protect anything.</item>
/// </list>
/// Hand-written: the served candidates do not fit — ICU's UAX #29 sentence breaks (icu.net, ICU4N alpha) split inside
/// 「」 quotes, after "Mr." and not after "……", and need a native ICU; jieba.NET segments words, not sentences.
/// </summary>
public static class TextSegmenter
{
    const string ChineseEnds = "。！？；";
    const string Ellipses = "…⋯";
    const string Closers = "」』”’）)》】]\"'〉";
    static readonly Dictionary<char, char> QuotePairs = new() { ['「'] = '」', ['『'] = '』', ['“'] = '”' };

    /// <summary>Abbreviations that never end a sentence: a name or more always follows (lower-cased, without dots).</summary>
    static readonly HashSet<string> Titles = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "gen", "col", "capt", "lt", "sgt", "rev", "hon", "gov", "sen",
        "messrs", "mme", "mlle", "fig", "figs", "vol", "vols", "pp", "eg", "ie", "vs", "cf", "viz", "approx",
    };

    /// <summary>The sentences of <paramref name="text"/>, trimmed, in order; none when it is blank.</summary>
    public static IReadOnlyList<string> Sentences(string text)
    {
        var closeOf = QuotedSpans(text);
        var sentences = new List<string>();
        int start = 0, i = 0;
        while (i < text.Length)
        {
            if (closeOf[i] > i)
            {
                // Inside a matched quote: skip to its closing mark, which ends the sentence when a sentence end precedes it.
                int close = closeOf[i];
                int end = EndsWithTerminator(text, i + 1, close) ? AfterClosers(text, close) : -1;
                if (end > 0 && BreaksBefore(text, end, english: IsEnglishContext(text, close)))
                {
                    Add(sentences, text, start, end);
                    start = i = end;
                }
                else i = close + 1;
                continue;
            }
            int boundary = SentenceEndAt(text, i);
            if (boundary > 0)
            {
                Add(sentences, text, start, boundary);
                start = i = boundary;
            }
            else i++;
        }
        Add(sentences, text, start, text.Length);
        return sentences;
    }

    /// <summary>Where the sentence ends when the character at <paramref name="i"/> ends it, else -1.</summary>
    static int SentenceEndAt(string text, int i)
    {
        char c = text[i];
        if (ChineseEnds.Contains(c))
            return AfterClosers(text, SkipRun(text, i, ChineseEnds + "!?" + Ellipses));
        if (Ellipses.Contains(c))
        {
            int after = AfterClosers(text, SkipRun(text, i, Ellipses + ChineseEnds + "!?."));
            // Chinese ellipses end the sentence; an English one only when a new sentence visibly starts.
            return IsEnglishContext(text, i) ? (BreaksBefore(text, after, english: true) ? after : -1) : after;
        }
        if (c is '!' or '?')
        {
            int after = AfterClosers(text, SkipRun(text, i, "!?" + Ellipses));
            return BreaksBefore(text, after, english: true) ? after : -1;
        }
        if (c == '.')
        {
            int run = SkipRun(text, i, ".");
            if (run - i == 1 && IsAbbreviationOrNumber(text, i)) return -1;
            int after = AfterClosers(text, Skip(text, run, "!?" + Ellipses));
            return BreaksBefore(text, after, english: true) ? after : -1;
        }
        return -1;
    }

    /// <summary>
    /// Whether a sentence may end before <paramref name="at"/>: at the end, before Chinese, or (in English) before a space
    /// and a word that starts neither in lower case nor with a digit ("U.S. in 1990", "etc. and", "Wait... what").
    /// Straight after the mark with no space ("3.14") it may not.
    /// </summary>
    static bool BreaksBefore(string text, int at, bool english)
    {
        if (at >= text.Length) return true;
        char next = text[at];
        if (Scripts.IsCjk(next)) return true;
        if (!char.IsWhiteSpace(next)) return !english;
        int word = at;
        while (word < text.Length && char.IsWhiteSpace(text[word])) word++;
        return word >= text.Length || !(char.IsLower(text[word]) || char.IsDigit(text[word]));
    }

    /// <summary>A single period after a title, an initial, a dotted abbreviation's inner letters, or inside a number.</summary>
    static bool IsAbbreviationOrNumber(string text, int dot)
    {
        if (dot + 1 < text.Length && !char.IsWhiteSpace(text[dot + 1]) && !Scripts.IsCjk(text[dot + 1]) && !Closers.Contains(text[dot + 1]))
            return true;                                               // 3.14, U.S.A, example.com: no space after the dot
        int wordStart = dot;
        while (wordStart > 0 && (char.IsLetter(text[wordStart - 1]) || text[wordStart - 1] == '.') && !Scripts.IsCjk(text[wordStart - 1])) wordStart--;
        string word = text[wordStart..dot].Replace(".", "");
        if (word.Length == 0) return false;
        if (Titles.Contains(word)) return true;
        // An initial (J. K. Rowling): taken for a name's part, though "… plan B. Then …" is then one sentence.
        return word.Length == 1 && char.IsUpper(word[0]) && (wordStart == 0 || !char.IsLetter(text[wordStart - 1]));
    }

    /// <summary>English when the last letter before <paramref name="at"/> is a Latin letter or digit rather than Chinese.</summary>
    static bool IsEnglishContext(string text, int at)
    {
        for (int k = at - 1; k >= 0; k--)
        {
            if (Scripts.IsCjk(text[k])) return false;
            if (char.IsLetterOrDigit(text[k])) return true;
        }
        return false;
    }

    static bool EndsWithTerminator(string text, int from, int close)
    {
        int k = close - 1;
        while (k >= from && (char.IsWhiteSpace(text[k]) || Closers.Contains(text[k]))) k--;
        return k >= from && (ChineseEnds + Ellipses + ".!?").Contains(text[k]);
    }

    /// <summary>The index after the run of <paramref name="set"/>'s characters that follows the mark at <paramref name="i"/>.</summary>
    static int SkipRun(string text, int i, string set) => Skip(text, i + 1, set);

    static int Skip(string text, int from, string set)
    {
        while (from < text.Length && set.Contains(text[from])) from++;
        return from;
    }

    static int AfterClosers(string text, int i)
    {
        while (i < text.Length && Closers.Contains(text[i])) i++;
        return i;
    }

    /// <summary>For each opening quote with a matching close, the close's index (nested pairs allowed); else the index itself.</summary>
    static int[] QuotedSpans(string text)
    {
        var closeOf = new int[text.Length];
        for (int k = 0; k < text.Length; k++) closeOf[k] = k;
        var open = new Stack<int>();
        for (int k = 0; k < text.Length; k++)
        {
            if (QuotePairs.ContainsKey(text[k])) open.Push(k);
            else if (open.Count > 0 && QuotePairs[text[open.Peek()]] == text[k]) closeOf[open.Pop()] = k;
            else if (QuotePairs.ContainsValue(text[k])) open.Clear();   // a stray close: what was open does not pair across it
        }
        return closeOf;
    }

    static void Add(List<string> sentences, string text, int start, int end)
    {
        var sentence = text[start..end].Trim();
        if (sentence.Length > 0) sentences.Add(sentence);
    }
}
