using System.Security.Cryptography;
using System.Text;
using StyleStudio.Data.Rating;

namespace StyleStudio.Evaluation.Rating;

/// <summary>
/// Which system's output a rater sees as A on an item: a coin flip seeded by (study, rater, item), so it is random across
/// items and raters (neither system sits on one side) yet the same every time that rater opens that item — a resumed
/// session shows the order it showed before. SHA-256 rather than <see cref="string.GetHashCode()"/>, which .NET seeds
/// afresh in every process.
/// </summary>
public static class BlindOrder
{
    /// <summary>True when system 2's output is shown as A (and system 1's as B).</summary>
    public static bool Swapped(int studyId, string rater, int item)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{studyId}\n{rater.Trim()}\n{item}"), hash);
        return (hash[0] & 1) == 1;
    }

    /// <summary>The preference by system that a choice by position means, given the item's order.</summary>
    public static StudyPreference ToPreference(ScreenChoice choice, bool swapped) => choice switch
    {
        ScreenChoice.ABetter => swapped ? StudyPreference.System2 : StudyPreference.System1,
        ScreenChoice.BBetter => swapped ? StudyPreference.System1 : StudyPreference.System2,
        ScreenChoice.Tie => StudyPreference.Tie,
        ScreenChoice.BothBad => StudyPreference.BothBad,
        _ => throw new ArgumentOutOfRangeException(nameof(choice)),
    };

    /// <summary>The position a stored preference was pressed at, to show a rater their earlier choice.</summary>
    public static ScreenChoice ToChoice(StudyPreference preference, bool swapped) => preference switch
    {
        StudyPreference.System1 => swapped ? ScreenChoice.BBetter : ScreenChoice.ABetter,
        StudyPreference.System2 => swapped ? ScreenChoice.ABetter : ScreenChoice.BBetter,
        StudyPreference.Tie => ScreenChoice.Tie,
        StudyPreference.BothBad => ScreenChoice.BothBad,
        _ => throw new ArgumentOutOfRangeException(nameof(preference)),
    };

    /// <summary>The system (1 or 2) shown at <paramref name="position"/> (0 = A, 1 = B).</summary>
    public static int SystemAt(int position, bool swapped) => (position == 0) != swapped ? 1 : 2;
}
