using System.Text;

namespace StyleStudio.Evaluation.Metrics;

/// <summary>
/// The Porter stemmer as NLTK 3.8's <c>PorterStemmer()</c> runs it: its default NLTK_EXTENSIONS mode (Porter's 1980
/// steps with Martin Porter's later changes and NLTK's own: a pool of irregular forms, words of two letters or fewer
/// left alone, -ies/-ied on four-letter words, y→i only after a consonant, -alli, -fulli, -logi). Written here because
/// METEOR must stem exactly like NLTK and no .NET package implements this variant; the tests hold it to NLTK's stems.
/// Works on code points as Python does, so lengths, "double consonants" and the cvc test count a supplementary
/// character once.
/// </summary>
public static class PorterStemmer
{
    // NLTK's irregular forms (form → stem), consulted before any rule.
    static readonly Dictionary<string, string> Pool = new()
    {
        ["sky"] = "sky", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie", ["news"] = "news",
        ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing", ["outing"] = "outing",
        ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe", ["proceed"] = "proceed",
        ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    /// <summary>The stem of a word, lowercased first (Python's <c>str.lower</c>) as NLTK's default does.</summary>
    public static string Stem(string word)
    {
        // NLTK looks the word up in the pool as given, and measures the length of the word as given.
        if (Pool.TryGetValue(word, out var irregular)) return irregular;
        string lower = PythonText.Lower(word);
        int[] w = CodePoints(lower);
        if (CodePoints(word).Length <= 2) return lower;
        w = Step1a(w);
        w = Step1b(w);
        w = Step1c(w);
        w = Step2(w);
        w = Step3(w);
        w = Step4(w);
        w = Step5a(w);
        w = Step5b(w);
        return Text(w);
    }

    // A rule: when the word ends with Suffix, the suffix is replaced if Condition holds for what precedes it, and
    // either way no later rule of the same list is tried.
    readonly record struct Rule(string Suffix, string Replacement, Func<int[], bool>? Condition = null);

    static int[] Step1a(int[] w)
    {
        if (Ends(w, "ies") && w.Length == 4) return Replace(w, 3, "ie");
        return ApplyFirst(w, [new("sses", "ss"), new("ies", "i"), new("ss", "ss"), new("s", "")]);
    }

    static int[] Step1b(int[] w)
    {
        if (Ends(w, "ied")) return Replace(w, 3, w.Length == 4 ? "ie" : "i");
        if (Ends(w, "eed")) return Measure(Cut(w, 3)) > 0 ? Replace(w, 3, "ee") : w;

        int[]? stem = null;
        foreach (var suffix in new[] { "ed", "ing" })
            if (Ends(w, suffix) && ContainsVowel(Cut(w, suffix.Length)))
            {
                stem = Cut(w, suffix.Length);
                break;
            }
        if (stem is null) return w;

        if (Ends(stem, "at")) return Replace(stem, 2, "ate");
        if (Ends(stem, "bl")) return Replace(stem, 2, "ble");
        if (Ends(stem, "iz")) return Replace(stem, 2, "ize");
        if (EndsDoubleConsonant(stem))
            return stem[^1] is 'l' or 's' or 'z' ? stem : Cut(stem, 1);
        return Measure(stem) == 1 && EndsCvc(stem) ? Append(stem, "e") : stem;
    }

    // NLTK's y→i: only after a consonant that is not the word's first letter ("happy" → "happi", "enjoy" and "by" stay).
    static int[] Step1c(int[] w) =>
        ApplyFirst(w, [new("y", "i", stem => stem.Length > 1 && IsConsonant(stem, stem.Length - 1))]);

    static readonly Func<int[], bool> PositiveMeasure = stem => Measure(stem) > 0;
    static readonly Func<int[], bool> MeasureAboveOne = stem => Measure(stem) > 1;

    static readonly Rule[] Step2Rules =
    [
        new("ational", "ate", PositiveMeasure), new("tional", "tion", PositiveMeasure), new("enci", "ence", PositiveMeasure),
        new("anci", "ance", PositiveMeasure), new("izer", "ize", PositiveMeasure), new("bli", "ble", PositiveMeasure),
        new("alli", "al", PositiveMeasure), new("entli", "ent", PositiveMeasure), new("eli", "e", PositiveMeasure),
        new("ousli", "ous", PositiveMeasure), new("ization", "ize", PositiveMeasure), new("ation", "ate", PositiveMeasure),
        new("ator", "ate", PositiveMeasure), new("alism", "al", PositiveMeasure), new("iveness", "ive", PositiveMeasure),
        new("fulness", "ful", PositiveMeasure), new("ousness", "ous", PositiveMeasure), new("aliti", "al", PositiveMeasure),
        new("iviti", "ive", PositiveMeasure), new("biliti", "ble", PositiveMeasure), new("fulli", "ful", PositiveMeasure),
        // NLTK measures "-logi" words with the 'l' kept on the stem.
        new("logi", "log", stem => Measure([.. stem, 'l']) > 0),
    ];

    static int[] Step2(int[] w)
    {
        // NLTK's -alli: strip to -al and run step 2 again on the result.
        if (Ends(w, "alli") && Measure(Cut(w, 4)) > 0) return Step2(Replace(w, 4, "al"));
        return ApplyFirst(w, Step2Rules);
    }

    static readonly Rule[] Step3Rules =
    [
        new("icate", "ic", PositiveMeasure), new("ative", "", PositiveMeasure), new("alize", "al", PositiveMeasure),
        new("iciti", "ic", PositiveMeasure), new("ical", "ic", PositiveMeasure), new("ful", "", PositiveMeasure),
        new("ness", "", PositiveMeasure),
    ];

    static int[] Step3(int[] w) => ApplyFirst(w, Step3Rules);

    static readonly Rule[] Step4Rules =
    [
        new("al", "", MeasureAboveOne), new("ance", "", MeasureAboveOne), new("ence", "", MeasureAboveOne),
        new("er", "", MeasureAboveOne), new("ic", "", MeasureAboveOne), new("able", "", MeasureAboveOne),
        new("ible", "", MeasureAboveOne), new("ant", "", MeasureAboveOne), new("ement", "", MeasureAboveOne),
        new("ment", "", MeasureAboveOne), new("ent", "", MeasureAboveOne),
        new("ion", "", stem => Measure(stem) > 1 && stem[^1] is 's' or 't'),
        new("ou", "", MeasureAboveOne), new("ism", "", MeasureAboveOne), new("ate", "", MeasureAboveOne),
        new("iti", "", MeasureAboveOne), new("ous", "", MeasureAboveOne), new("ive", "", MeasureAboveOne),
        new("ize", "", MeasureAboveOne),
    ];

    static int[] Step4(int[] w) => ApplyFirst(w, Step4Rules);

    static int[] Step5a(int[] w)
    {
        if (!Ends(w, "e")) return w;
        var stem = Cut(w, 1);
        int m = Measure(stem);
        return m > 1 || (m == 1 && !EndsCvc(stem)) ? stem : w;
    }

    static int[] Step5b(int[] w) => Ends(w, "ll") && Measure(Cut(w, 1)) > 1 ? Cut(w, 1) : w;

    static int[] ApplyFirst(int[] w, Rule[] rules)
    {
        foreach (var rule in rules)
        {
            if (!Ends(w, rule.Suffix)) continue;
            var stem = Cut(w, rule.Suffix.Length);
            return rule.Condition is null || rule.Condition(stem) ? Append(stem, rule.Replacement) : w;
        }
        return w;
    }

    // A consonant is a letter other than a, e, i, o, u, and other than a y that follows a consonant.
    static bool IsConsonant(int[] w, int i) => w[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(w, i - 1),
        _ => true,
    };

    /// <summary>m in [C](VC){m}[V]: how often a vowel is followed by a consonant.</summary>
    static int Measure(int[] w)
    {
        int m = 0;
        for (int i = 1; i < w.Length; i++)
            if (!IsConsonant(w, i - 1) && IsConsonant(w, i)) m++;
        return m;
    }

    static bool ContainsVowel(int[] w)
    {
        for (int i = 0; i < w.Length; i++)
            if (!IsConsonant(w, i)) return true;
        return false;
    }

    static bool EndsDoubleConsonant(int[] w) => w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    // *o: consonant–vowel–consonant with the last not w, x or y; NLTK also counts a two-letter vowel–consonant word.
    static bool EndsCvc(int[] w) =>
        (w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2) && IsConsonant(w, w.Length - 1)
            && w[^1] is not ('w' or 'x' or 'y'))
        || (w.Length == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1));

    static bool Ends(int[] w, string suffix)
    {
        if (suffix.Length > w.Length) return false;
        for (int i = 0; i < suffix.Length; i++)
            if (w[w.Length - suffix.Length + i] != suffix[i]) return false;
        return true;
    }

    static int[] Cut(int[] w, int count) => w[..^count];

    static int[] Append(int[] w, string tail) => tail.Length == 0 ? w : [.. w, .. tail.Select(c => (int)c)];

    static int[] Replace(int[] w, int count, string tail) => Append(Cut(w, count), tail);

    static int[] CodePoints(string text)
    {
        var points = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) points.Add(rune.Value);
        return [.. points];
    }

    static string Text(int[] w)
    {
        var text = new StringBuilder(w.Length);
        foreach (int c in w) text.Append(new Rune(c).ToString());
        return text.ToString();
    }
}
