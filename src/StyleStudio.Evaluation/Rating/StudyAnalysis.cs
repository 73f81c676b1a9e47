using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Agreement;

namespace StyleStudio.Evaluation.Rating;

/// <summary>
/// Turns a study's ratings into results: the win rate of system 1 over system 2 with a seeded percentile bootstrap
/// interval, each axis's mean per system and Krippendorff's α — nominal for the preferences (by system, never by screen
/// position), ordinal for the 1–5 scores.
/// </summary>
public static class StudyAnalysis
{
    public const int DefaultResamples = 2000;
    public const int DefaultSeed = 20261130;

    public static StudyResults Analyze(RatingStudy study, IReadOnlyList<StudyRating> ratings, int resamples = DefaultResamples, int seed = DefaultSeed)
    {
        var byItem = ratings.GroupBy(r => r.Item).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var preferences = KrippendorffAlpha.Nominal(byItem.Select(item => item.Select(r => r.Preference)));
        var axes = Enum.GetValues<RatingAxis>().Select(axis => Axis(axis, byItem)).ToList();
        return new StudyResults(study.System1, study.System2, study.Items.Count, byItem.Count,
            ratings.Select(r => r.Rater).Distinct(StringComparer.Ordinal).Count(), ratings.Count,
            Bootstrap(byItem, resamples, seed), preferences, axes);
    }

    /// <summary>
    /// Win rate with a 95 % percentile bootstrap that resamples <em>items</em> with replacement (all of an item's ratings
    /// move together, since raters judging the same pair are not independent), <paramref name="resamples"/> times from
    /// <see cref="Random"/> seeded with <paramref name="seed"/>, so the interval is the same on every run.
    /// </summary>
    public static WinRate Bootstrap(IReadOnlyList<IReadOnlyList<StudyRating>> byItem, int resamples = DefaultResamples, int seed = DefaultSeed)
    {
        // Per item: half-wins for system 1 (a win is 2, a tie or both bad 1) and judgements, so a resample sums integers.
        var halfWins = byItem.Select(item => item.Sum(HalfWins)).ToArray();
        var counts = byItem.Select(item => item.Count).ToArray();
        var all = byItem.SelectMany(i => i).ToList();
        int Count(StudyPreference p) => all.Count(r => r.Preference == p);
        int judgements = counts.Sum();
        double rate = judgements == 0 ? double.NaN : halfWins.Sum() / (2.0 * judgements);
        double low = double.NaN, high = double.NaN;
        if (judgements > 0)
        {
            var random = new Random(seed);
            var rates = new double[resamples];
            for (int b = 0; b < resamples; b++)
            {
                long wins = 0, total = 0;
                for (int i = 0; i < byItem.Count; i++)
                {
                    int pick = random.Next(byItem.Count);
                    wins += halfWins[pick];
                    total += counts[pick];
                }
                rates[b] = wins / (2.0 * total);
            }
            Array.Sort(rates);
            (low, high) = (Percentile(rates, 0.025), Percentile(rates, 0.975));
        }
        return new WinRate(rate, low, high, Count(StudyPreference.System1), Count(StudyPreference.System2),
            Count(StudyPreference.Tie), Count(StudyPreference.BothBad), resamples, seed);
    }

    static int HalfWins(StudyRating rating) => rating.Preference switch
    {
        StudyPreference.System1 => 2,
        StudyPreference.System2 => 0,
        _ => 1,   // tie, both bad: neither output preferred
    };

    /// <summary>Linear interpolation between closest ranks (numpy's default percentile).</summary>
    static double Percentile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    static AxisSummary Axis(RatingAxis axis, List<List<StudyRating>> byItem)
    {
        var all = byItem.SelectMany(i => i).ToList();
        double? Mean(int system) => all.Select(r => r.ScoresOf(system)[axis]).OfType<int>().Select(s => (double)s).DefaultIfEmpty(double.NaN).Average() is var m && double.IsNaN(m) ? null : m;
        int Scored(int system) => all.Count(r => r.ScoresOf(system)[axis] is not null);
        // Each output (item × system) is a unit; its values are the raters' scores of it.
        var units = byItem.SelectMany(item => new[] { 1, 2 }.Select(system =>
            item.Select(r => r.ScoresOf(system)[axis]).OfType<int>().Select(s => (double)s)));
        return new AxisSummary(axis, Mean(1), Scored(1), Mean(2), Scored(2), KrippendorffAlpha.Compute(units, MeasurementLevel.Ordinal));
    }
}
