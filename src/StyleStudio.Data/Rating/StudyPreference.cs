namespace StyleStudio.Data.Rating;

/// <summary>
/// A rater's verdict on one item, stored by <em>system</em> (not by screen position): the page maps "A better" or "B
/// better" through the item's blind order before saving, so analysis never sees positions.
/// </summary>
public enum StudyPreference
{
    System1,
    System2,
    Tie,
    BothBad,
}
