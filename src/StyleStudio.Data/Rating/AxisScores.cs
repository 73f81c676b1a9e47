namespace StyleStudio.Data.Rating;

/// <summary>One output's optional 1–5 scores; null where the rater left an axis unscored.</summary>
public sealed record AxisScores(int? Style = null, int? Meaning = null, int? Fluency = null)
{
    public static readonly AxisScores None = new();

    public int? this[RatingAxis axis] => axis switch
    {
        RatingAxis.Style => Style,
        RatingAxis.Meaning => Meaning,
        RatingAxis.Fluency => Fluency,
        _ => throw new ArgumentOutOfRangeException(nameof(axis)),
    };

    public AxisScores With(RatingAxis axis, int? score) => axis switch
    {
        RatingAxis.Style => this with { Style = score },
        RatingAxis.Meaning => this with { Meaning = score },
        RatingAxis.Fluency => this with { Fluency = score },
        _ => throw new ArgumentOutOfRangeException(nameof(axis)),
    };

    /// <exception cref="ArgumentOutOfRangeException">A score outside 1–5.</exception>
    public void Validate()
    {
        foreach (var axis in Enum.GetValues<RatingAxis>())
            if (this[axis] is { } score && score is < 1 or > 5)
                throw new ArgumentOutOfRangeException(axis.ToString(), score, $"a {axis} score is 1–5, not {score}");
    }
}
