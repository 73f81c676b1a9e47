namespace StyleStudio.Data.Corpora;

/// <summary>
/// Character classes the readers and the segmenter share: Chinese (Han, kana, full-width forms and CJK punctuation) is
/// written without spaces between words, so lines and pieces join without one; the rest joins with a space.
/// </summary>
public static class Scripts
{
    /// <summary>A character of text written without spaces: Han ideographs, kana, Hangul syllables, CJK punctuation and full-width forms.</summary>
    public static bool IsCjk(char c) =>
        c is >= '\u2E80' and <= '\u9FFF'      // radicals, CJK punctuation (。「」), kana, ideographs (incl. extension A)
        or >= '\uAC00' and <= '\uD7AF'        // Hangul syllables
        or >= '\uF900' and <= '\uFAFF'        // compatibility ideographs
        or >= '\uFE30' and <= '\uFE4F'        // CJK compatibility forms (vertical punctuation)
        or >= '\uFF00' and <= '\uFFEF'        // full-width forms (，！？：；（）)
        || char.IsSurrogate(c);               // ideographs beyond the BMP (extensions B+) come as surrogate pairs

    /// <summary>
    /// Joins the lines of one paragraph: without a space where either side is Chinese, with one otherwise; an English
    /// word hyphenated at a line end ("exam-" + "ple") is rejoined without its hyphen.
    /// </summary>
    public static string JoinLines(IEnumerable<string> lines)
    {
        var joined = new System.Text.StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (joined.Length > 0)
            {
                char last = joined[^1];
                if (last == '-' && joined.Length > 1 && char.IsLetter(joined[^2]) && !IsCjk(joined[^2]) && char.IsLower(line[0]))
                    joined.Length--;                              // "exam-\nple" → "example"
                else if (!IsCjk(last) && !IsCjk(line[0]))
                    joined.Append(' ');
            }
            joined.Append(line);
        }
        return joined.ToString();
    }
}
