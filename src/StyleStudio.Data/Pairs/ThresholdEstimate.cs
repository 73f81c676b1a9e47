namespace StyleStudio.Data.Pairs;

/// <summary>A sampled candidate the user has judged.</summary>
/// <param name="Weight">How many candidates it stands for (<see cref="SampledCandidate.Weight"/>; 1 for a simple random sample).</param>
public sealed record LabelledCandidate(double Score, bool Correct, double Weight = 1);

/// <summary>What keeping the candidates at or above <paramref name="Threshold"/> is estimated to give.</summary>
/// <param name="Precision">Estimated share of correct pairs among those kept; null when no sampled candidate is kept.</param>
/// <param name="Low">Lower end of the Wilson 95 % interval of <paramref name="Precision"/>.</param>
/// <param name="High">Upper end of that interval.</param>
/// <param name="Recall">Estimated share of the correct pairs among all candidates that the threshold keeps.</param>
/// <param name="Kept">Candidates at or above the threshold (counted, not estimated).</param>
/// <param name="CorrectKept">Estimated correct pairs among them: <paramref name="Precision"/> × <paramref name="Kept"/>.</param>
/// <param name="Sampled">Labelled candidates at or above the threshold.</param>
public sealed record ThresholdPoint(double Threshold, double? Precision, double Low, double High, double Recall, int Kept, double CorrectKept, int Sampled);

/// <summary>
/// The precision/recall trade-off of a threshold, estimated from a labelled stratified sample
/// (<see cref="StratifiedSample"/>) and the scores of every candidate. For a threshold t, with w the sampled candidates'
/// weights and y their labels (1 correct, 0 wrong):
/// <list type="bullet">
/// <item>precision = Σ w·y / Σ w over sampled candidates with score ≥ t (the stratified ratio estimator: within a band, the
/// drawn candidates above t stand for the band's candidates above t);</item>
/// <item>its 95 % interval is Wilson's score interval (Wilson 1927) at that precision with Kish's effective sample size
/// (Σ w)² / Σ w² in place of n — plain Wilson when the weights are equal; Wilson rather than the normal interval because
/// it stays inside 0–1 and holds up for the small counts and the precisions near 1 a confirmation sample gives;</item>
/// <item>correct pairs kept = precision × the number of candidates with score ≥ t (counted over the whole list);</item>
/// <item>recall = Σ w·y above t / Σ w·y over the whole sample: the share of the correct pairs the candidates hold that the
/// threshold keeps (pairs the miner never proposed are beyond what a sample of candidates can see).</item>
/// </list>
/// Written by hand: the formulas are a few lines, and no served .NET package offers stratified ratio estimates.
/// </summary>
public sealed class ThresholdEstimate
{
    /// <summary>The precision a suggested threshold must reach unless told otherwise.</summary>
    public const double DefaultTarget = 0.9;
    const double Z = 1.959964;   // two-sided 95 %

    /// <summary>One point per distinct sampled score (each a threshold worth choosing: between two of them nothing in the
    /// sample changes), highest first.</summary>
    public IReadOnlyList<ThresholdPoint> Points { get; }

    ThresholdEstimate(IReadOnlyList<ThresholdPoint> points) => Points = points;

    /// <param name="labels">The labelled sample.</param>
    /// <param name="scores">The score of every candidate (to count how many a threshold keeps).</param>
    public static ThresholdEstimate From(IReadOnlyList<LabelledCandidate> labels, IReadOnlyList<double> scores)
    {
        var sorted = scores.OrderByDescending(s => s).ToArray();
        var thresholds = labels.Select(l => l.Score).Distinct().OrderByDescending(s => s);
        return new(thresholds.Select(t => At(t, labels, sorted)).ToList());
    }

    /// <summary>The estimate at any threshold <paramref name="threshold"/>.</summary>
    public static ThresholdPoint At(double threshold, IReadOnlyList<LabelledCandidate> labels, IReadOnlyList<double> scoresDescending)
    {
        var kept = labels.Where(l => l.Score >= threshold).ToList();
        double weight = kept.Sum(l => l.Weight), correct = kept.Where(l => l.Correct).Sum(l => l.Weight);
        double allCorrect = labels.Where(l => l.Correct).Sum(l => l.Weight);
        int keptCount = scoresDescending.TakeWhile(s => s >= threshold).Count();
        double recall = allCorrect > 0 ? correct / allCorrect : 0;
        if (weight <= 0) return new(threshold, null, 0, 1, recall, keptCount, 0, 0);
        double precision = correct / weight;
        double effective = weight * weight / kept.Sum(l => l.Weight * l.Weight);
        var (low, high) = Wilson(precision, effective);
        return new(threshold, precision, low, high, recall, keptCount, precision * keptCount, kept.Count);
    }

    /// <summary>Wilson's score interval for a proportion <paramref name="p"/> observed over <paramref name="n"/> trials.</summary>
    public static (double Low, double High) Wilson(double p, double n)
    {
        double z2 = Z * Z, denominator = 1 + z2 / n;
        double centre = (p + z2 / (2 * n)) / denominator;
        double half = Z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>The lowest threshold whose estimated precision reaches <paramref name="target"/> (the most pairs at that
    /// precision), or null when none does.</summary>
    public double? Suggest(double target = DefaultTarget) =>
        Points.Where(p => p.Precision >= target).Select(p => (double?)p.Threshold).LastOrDefault();
}
