namespace StyleStudio.Evaluation.Rating;

/// <summary>
/// System 1's win rate over system 2 with its 95 % bootstrap interval. A tie and a "both bad" are both judgements that
/// prefer neither output, so each counts half a win to each system: rate = (wins₁ + ½ (ties + both bad)) / judgements.
/// </summary>
/// <param name="Rate">Point estimate over every judgement; NaN without judgements.</param>
/// <param name="Low">2.5th percentile of the bootstrap distribution.</param>
/// <param name="High">97.5th percentile.</param>
public sealed record WinRate(double Rate, double Low, double High, int Wins1, int Wins2, int Ties, int BothBad, int Resamples, int Seed)
{
    public int Judgements => Wins1 + Wins2 + Ties + BothBad;
}
