namespace StyleStudio.Evaluation.Judging;

/// <summary>The language the rubric is written in (and the judge is asked to give its reason in).</summary>
public enum RubricLanguage
{
    Chinese,
    English,
}

/// <summary>Picks the rubric language from the data, as a user would: Chinese when Chinese characters dominate.</summary>
public static class RubricLanguages
{
    /// <summary>Chinese when at least a third of the letters in <paramref name="texts"/> are CJK ideographs, else English.</summary>
    public static RubricLanguage Detect(IEnumerable<string> texts)
    {
        long cjk = 0, letters = 0;
        foreach (var text in texts)
            foreach (var c in text)
            {
                if (IsIdeograph(c)) cjk++;
                else if (char.IsLetter(c)) letters++;
            }
        // A Chinese character carries about as much as an English word, so a third is already mostly-Chinese text.
        return cjk * 3 >= cjk + letters && cjk > 0 ? RubricLanguage.Chinese : RubricLanguage.English;
    }

    /// <summary>Reads <c>zh</c> / <c>en</c> (also <c>chinese</c>, <c>english</c>, <c>zh-CN</c>…).</summary>
    /// <exception cref="ArgumentException">Anything else, naming what is accepted.</exception>
    public static RubricLanguage Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "zh" or "zh-cn" or "zh-hans" or "chinese" => RubricLanguage.Chinese,
        "en" or "en-us" or "en-gb" or "english" => RubricLanguage.English,
        _ => throw new ArgumentException($"rubric language '{value}': choose zh or en"),
    };

    public static string Code(this RubricLanguage language) => language == RubricLanguage.Chinese ? "zh" : "en";

    static bool IsIdeograph(char c) => c is >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' or >= '\uF900' and <= '\uFAFF';
}
