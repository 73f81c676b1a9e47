namespace StyleStudio.Evaluation.Judging;

/// <summary>
/// Rank correlations as scipy computes them: Spearman's ρ (<c>scipy.stats.spearmanr</c>: Pearson's r of the average ranks,
/// ties sharing the mean of their ranks) and Kendall's τ-b (<c>scipy.stats.kendalltau</c>, its default variant: ties in
/// either list neither concordant nor discordant, the denominator corrected for ties in each). Like scipy, both are NaN
/// when one list is constant. Checked against scipy in Fixtures/metrics/correlation.json.
/// </summary>
public static class RankCorrelation
{
    /// <summary>Spearman's ρ of paired values.</summary>
    /// <exception cref="ArgumentException">Lists of different lengths, fewer than two pairs, or a NaN.</exception>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        return Pearson(AverageRanks(x), AverageRanks(y));
    }

    /// <summary>Kendall's τ-b of paired values.</summary>
    /// <exception cref="ArgumentException">Lists of different lengths, fewer than two pairs, or a NaN.</exception>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Check(x, y);
        int n = x.Count;
        long concordantMinusDiscordant = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                concordantMinusDiscordant += Math.Sign(x[i] - x[j]) * Math.Sign(y[i] - y[j]);
        long total = (long)n * (n - 1) / 2;
        long xTies = TiedPairs(x), yTies = TiedPairs(y);
        if (xTies == total || yTies == total) return double.NaN;
        double tau = concordantMinusDiscordant / Math.Sqrt(total - xTies) / Math.Sqrt(total - yTies);
        return Math.Clamp(tau, -1.0, 1.0);
    }

    /// <summary>Ranks from 1, tied values sharing the mean of the ranks they span (scipy's <c>rankdata(method="average")</c>).</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;   // ranks start..end (0-based) share their mean, counted from 1
            for (int k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    static double Pearson(double[] x, double[] y)
    {
        double meanX = x.Average(), meanY = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - meanX, dy = y[i] - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) return double.NaN;
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1.0, 1.0);
    }

    /// <summary>Pairs of equal values: Σ t(t−1)/2 over groups of t ties.</summary>
    static long TiedPairs(IReadOnlyList<double> values) =>
        values.GroupBy(v => v).Sum(g => (long)g.Count() * (g.Count() - 1) / 2);

    static void Check(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"paired scores need lists of one length; got {x.Count} and {y.Count}");
        if (x.Count < 2) throw new ArgumentException($"a rank correlation needs at least two pairs; got {x.Count}");
        if (x.Any(double.IsNaN) || y.Any(double.IsNaN)) throw new ArgumentException("a score is NaN; leave unscored rows out of both lists");
    }
}

/// <summary>How closely a judge ranks rows as people do, on one axis.</summary>
/// <param name="Pairs">Rows with both a judge score and a human score.</param>
public sealed record AxisAgreement(string Axis, int Pairs, double Spearman, double KendallTauB);

/// <summary>
/// Agreement between judge scores and human scores of the same rows, per axis. Takes plain paired arrays (a human score
/// may be the mean of several raters) so any store of human ratings can feed it.
/// </summary>
public static class JudgeAgreement
{
    public static AxisAgreement Of(string axis, IReadOnlyList<double> judge, IReadOnlyList<double> human) =>
        new(axis, judge.Count, RankCorrelation.Spearman(judge, human), RankCorrelation.KendallTauB(judge, human));

    /// <summary>
    /// Per axis, over rows the judge scored and people rated: <paramref name="human"/> holds, for each row of
    /// <paramref name="report"/> (by index), the human scores for style, meaning and fluency, or null where no one rated it.
    /// </summary>
    public static IReadOnlyList<AxisAgreement> Of(JudgeReport report, IReadOnlyList<(double Style, double Meaning, double Fluency)?> human)
    {
        if (human.Count != report.Rows.Count)
            throw new ArgumentException($"human scores for {human.Count} rows, judge verdicts for {report.Rows.Count}: give one entry (or null) per row");
        var pairs = report.Rows.Zip(human).Where(p => p.First.Scores is not null && p.Second is not null)
            .Select(p => (Judge: p.First.Scores!, Human: p.Second!.Value)).ToList();
        return
        [
            Of("style", [.. pairs.Select(p => (double)p.Judge.Style)], [.. pairs.Select(p => p.Human.Style)]),
            Of("meaning", [.. pairs.Select(p => (double)p.Judge.Meaning)], [.. pairs.Select(p => p.Human.Meaning)]),
            Of("fluency", [.. pairs.Select(p => (double)p.Judge.Fluency)], [.. pairs.Select(p => p.Human.Fluency)]),
        ];
    }
}
