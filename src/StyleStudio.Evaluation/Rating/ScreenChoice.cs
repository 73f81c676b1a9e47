namespace StyleStudio.Evaluation.Rating;

/// <summary>What the rater pressed, by screen position; <see cref="BlindOrder.ToPreference"/> turns it into a system.</summary>
public enum ScreenChoice
{
    ABetter,
    BBetter,
    Tie,
    BothBad,
}
