namespace StyleStudio.Data.Rating;

/// <summary>One rater's judgement of one item, by system (see <see cref="StudyPreference"/>).</summary>
/// <param name="Swapped">True when system 2's output was shown as A, for audit and export.</param>
public sealed record StudyRating(int StudyId, int Item, string Rater, StudyPreference Preference, bool Swapped,
    AxisScores System1Scores, AxisScores System2Scores, DateTime RatedUtc)
{
    public AxisScores ScoresOf(int system) => system == 1 ? System1Scores : System2Scores;
}
