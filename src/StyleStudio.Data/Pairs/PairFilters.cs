using System.Globalization;
using System.Text;

namespace StyleStudio.Data.Pairs;

/// <summary>The filter that turned a generated pair away.</summary>
public enum PairFilter
{
    /// <summary>The model wrote nothing (or only whitespace and punctuation).</summary>
    Empty,
    /// <summary>The model declined ("I'm sorry, I can't…", "抱歉，我无法…") instead of rewriting.</summary>
    Refusal,
    /// <summary>Both sides are the same text: the model echoed its input.</summary>
    Echo,
    /// <summary>The styled text came earlier in the source; value: the earlier item's number (1-based).</summary>
    DuplicateStyled,
    /// <summary>A kept pair already has this plain side; value: that item's number (1-based).</summary>
    DuplicatePlain,
    /// <summary>Plain length / styled length is outside the bounds; value: the ratio.</summary>
    LengthRatio,
    /// <summary>The two sides share too little content; value: their <see cref="ContentSimilarity"/>.</summary>
    Similarity,
}

/// <summary>Why a pair was turned away: the filter and the value it measured (see <see cref="PairFilter"/>).</summary>
public sealed record PairRejection(PairFilter Filter, double? Value = null);

/// <summary>
/// The bounds a generated pair must meet. Defaults are measured on the studio's samples (see <see cref="PairFilters"/>).
/// </summary>
public sealed record PairFilterSettings
{
    /// <summary>Least plain/styled length ratio. Defaults to 0.5.</summary>
    public double MinLengthRatio { get; init; } = 0.5;

    /// <summary>Greatest plain/styled length ratio. Defaults to 3.0 (白话 runs longer than 文言, up to about twice).</summary>
    public double MaxLengthRatio { get; init; } = 3.0;

    /// <summary>Least content similarity between the two sides, 0–1. Defaults to <see cref="PairFilters.DefaultMinSimilarity"/>
    /// (Chinese; <see cref="For"/> gives English's).</summary>
    public double MinSimilarity { get; init; } = PairFilters.DefaultMinSimilarity;

    /// <summary>Turn away repeated styled texts and repeated plain sides. Defaults to on.</summary>
    public bool DropDuplicates { get; init; } = true;

    /// <summary>The defaults for texts in Chinese or in English (see <see cref="PairFilters"/>' remarks).</summary>
    public static PairFilterSettings For(bool chinese) =>
        new() { MinSimilarity = chinese ? PairFilters.DefaultMinSimilarity : PairFilters.DefaultMinSimilarityEnglish };

    /// <exception cref="ArgumentException">Bounds out of range or crossed; the message names the field.</exception>
    public void Validate()
    {
        if (!(MinLengthRatio >= 0)) throw new ArgumentException($"the least length ratio must be 0 or more; got {MinLengthRatio}");
        if (!(MaxLengthRatio >= MinLengthRatio))
            throw new ArgumentException($"the greatest length ratio ({MaxLengthRatio}) must not be below the least ({MinLengthRatio})");
        if (!(MinSimilarity is >= 0 and <= 1)) throw new ArgumentException($"the least similarity must be between 0 and 1; got {MinSimilarity}");
    }
}

/// <summary>
/// Checks generated pairs (a model's plain rewrite of a styled text) one after another, in the order of their source, and
/// remembers what it has seen so repeats are turned away. Checks run cheapest and most telling first: empty, refusal,
/// echo, duplicates, length ratio, similarity; the first that fails is the reason.
/// </summary>
/// <remarks>
/// Length is counted in characters (letters and digits, no punctuation) when the styled text is mostly Chinese, in words
/// otherwise: one Han character carries about what one English word does, and punctuation differs between 文言 and 白话.
/// <para>Measured on the samples (ContentSimilarity.Between of each true pair, and of each plain text with the next row's
/// styled text; <c>PairFiltersTests</c> prints these):</para>
/// <para>modern-to-classical.jsonl (305 pairs): true pairs median 0.30, 5th percentile 0.12 (the 白话·文言 word groups link
/// 我·吾, 快·疾 where no character is shared); shuffled median 0.00, 95th percentile 0.08, max 0.20. Kept at 0.05: 99% of
/// true, 15% of shuffled pairs; at 0.1: 97% and 3%; at 0.15: 91% and 0%. Plain/styled length ratio: min 0.88, median
/// 1.40, max 2.50.</para>
/// <para>formal-to-casual.jsonl (315 pairs): true median 0.37, 5th percentile 0.09; shuffled median 0.05 (common words),
/// 95th percentile 0.19. Kept at 0.05: 97% and 51%; at 0.15: 87% and 14%. Length ratio: min 0.60, median 1.29, 95th
/// percentile 2.20, max 4.00.</para>
/// <para>Hence the least similarity 0.1 for Chinese (<see cref="DefaultMinSimilarity"/>) and 0.15 for English
/// (<see cref="DefaultMinSimilarityEnglish"/>), and length ratios 0.5–3.0 for both.</para>
/// </remarks>
public sealed class PairFilters(PairFilterSettings settings)
{
    /// <summary>The least similarity for Chinese (the default); the measurements above say why.</summary>
    public const double DefaultMinSimilarity = 0.1;

    /// <summary>The least similarity for English, where unrelated texts share common words.</summary>
    public const double DefaultMinSimilarityEnglish = 0.15;

    // Openings of a model declining rather than rewriting (chat models' stock phrases, Chinese and English).
    static readonly string[] RefusalOpenings =
    [
        "i'm sorry", "i am sorry", "sorry, i", "i cannot", "i can't", "i can not", "i'm unable", "i am unable", "as an ai",
        "抱歉", "对不起", "很抱歉", "我无法", "我不能", "作为一个ai", "作为ai", "作为人工智能",
    ];

    readonly Dictionary<string, int> styledSeen = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> plainKept = new(StringComparer.Ordinal);

    public PairFilterSettings Settings { get; } = settings;

    /// <summary>Whether <paramref name="styled"/> (item <paramref name="item"/>, 1-based) repeats an earlier source text;
    /// asked before rewriting, so a repeat costs no generation. Null when it is new (and now seen).</summary>
    public PairRejection? CheckSource(int item, string styled)
    {
        string key = Key(styled);
        if (Settings.DropDuplicates && styledSeen.TryGetValue(key, out var earlier)) return new(PairFilter.DuplicateStyled, earlier);
        styledSeen.TryAdd(key, item);
        return null;
    }

    /// <summary>The checks on a rewrite; null when the pair is kept (and its plain side remembered).</summary>
    public PairRejection? Check(int item, string plain, string styled)
    {
        string plainKey = Key(plain);
        if (plainKey.Length == 0) return new(PairFilter.Empty);
        if (IsRefusal(plain)) return new(PairFilter.Refusal);
        if (plainKey == Key(styled)) return new(PairFilter.Echo);
        if (Settings.DropDuplicates && plainKept.TryGetValue(plainKey, out var earlier)) return new(PairFilter.DuplicatePlain, earlier);
        double ratio = LengthRatio(plain, styled);
        if (ratio < Settings.MinLengthRatio || ratio > Settings.MaxLengthRatio) return new(PairFilter.LengthRatio, ratio);
        double similarity = ContentSimilarity.Between(plain, styled);
        if (similarity < Settings.MinSimilarity) return new(PairFilter.Similarity, similarity);
        plainKept.TryAdd(plainKey, item);
        return null;
    }

    /// <summary>Plain length over styled length, both in the styled text's unit (see the remarks); 0 for an empty styled text.</summary>
    public static double LengthRatio(string plain, string styled)
    {
        bool characters = TextFeatures.IsMostlyHan(styled);
        int styledLength = Length(styled, characters);
        return styledLength == 0 ? 0 : (double)Length(plain, characters) / styledLength;
    }

    /// <summary>Letters and digits (<paramref name="characters"/>), or runs of them (words).</summary>
    public static int Length(string text, bool characters)
    {
        int count = 0;
        bool inWord = false;
        foreach (var rune in text.EnumerateRunes())
        {
            bool letter = Rune.IsLetterOrDigit(rune);
            if (characters ? letter : letter && !inWord) count++;
            inWord = letter || (inWord && rune.Value == '\'');
        }
        return count;
    }

    public static bool IsRefusal(string text)
    {
        string start = text.TrimStart().ToLowerInvariant();
        return RefusalOpenings.Any(opening => start.StartsWith(opening, StringComparison.Ordinal));
    }

    /// <summary>A text as the duplicate and echo checks compare it: NFKC, lower case, letters and digits only.</summary>
    static string Key(string text)
    {
        var key = new StringBuilder();
        foreach (var rune in text.Normalize(NormalizationForm.FormKC).ToLowerInvariant().EnumerateRunes())
            if (Rune.IsLetterOrDigit(rune)) key.Append(rune.ToString());
        return key.ToString();
    }

    /// <summary>A value as a page or a note writes it (two decimals, invariant).</summary>
    public static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}
