using System.Globalization;

namespace StyleStudio.Evaluation.Agreement;

/// <summary>
/// Krippendorff's α reliability coefficient for any number of raters, missing values allowed, at the nominal, ordinal,
/// interval and ratio levels, computed through the coincidence matrix exactly as in Krippendorff (2011), "Computing
/// Krippendorff's Alpha-Reliability" (Annenberg School for Communication, https://repository.upenn.edu/asc_papers/43):
/// <list type="bullet">
/// <item>a unit with m_u ≥ 2 values adds every ordered pair of its values (c, k), from different raters, to o_ck with
/// weight 1 / (m_u − 1); units with fewer than two values are not pairable and are left out;</item>
/// <item>n_c = Σ_k o_ck and n = Σ_c n_c (the number of pairable values);</item>
/// <item>α = 1 − (n − 1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck, i.e. 1 − D_o / D_e.</item>
/// </list>
/// Hand-written: NuGet serves no maintained α package (the studio's package list has none, and the few on nuget.org are
/// unmaintained single-author ports without the ordinal metric), while the computation is 60 lines held here to the
/// published worked examples.
/// </summary>
public static class KrippendorffAlpha
{
    /// <summary>
    /// α for numeric values; each element of <paramref name="units"/> holds the values raters gave one unit, missing
    /// values simply left out. Ordinal data are ranked by numeric order.
    /// </summary>
    /// <exception cref="ArgumentException">A value is NaN or infinite, or negative at the ratio level.</exception>
    public static AlphaResult Compute(IEnumerable<IEnumerable<double>> units, MeasurementLevel level)
    {
        var unitList = units.Select(u => u.ToArray()).ToList();
        foreach (var value in unitList.SelectMany(u => u))
        {
            if (!double.IsFinite(value)) throw new ArgumentException($"{value} is not a finite number");
            if (level == MeasurementLevel.Ratio && value < 0)
                throw new ArgumentException($"{Format(value)} is negative: the ratio level needs values on a scale with an absolute zero (≥ 0)");
        }
        var domain = unitList.SelectMany(u => u).Distinct().Order().ToArray();   // ascending: the order the ordinal metric ranks by
        var index = domain.Select((value, i) => (value, i)).ToDictionary(p => p.value, p => p.i);
        var codes = unitList.Select(u => u.Select(v => index[v]).ToArray()).ToList();
        return FromCodes(codes, domain.Length, level, domain, i => Format(domain[i]));
    }

    /// <summary>Nominal α for values of any type compared by equality (labels such as "A", "tie").</summary>
    public static AlphaResult Nominal<T>(IEnumerable<IEnumerable<T>> units, IEqualityComparer<T>? comparer = null) where T : notnull
    {
        var index = new Dictionary<T, int>(comparer);
        var labels = new List<T>();
        var codes = units.Select(u => u.Select(value =>
        {
            if (!index.TryGetValue(value, out int code))
            {
                index[value] = code = labels.Count;
                labels.Add(value);
            }
            return code;
        }).ToArray()).ToList();
        return FromCodes(codes, labels.Count, MeasurementLevel.Nominal, null, i => $"'{labels[i]}'");
    }

    /// <summary>
    /// α from a reliability data matrix in its canonical form: one row per rater, one column per unit, null where the
    /// rater gave the unit no value. Rows may differ in length; a short row is missing the units past its end.
    /// </summary>
    public static AlphaResult FromMatrix(IReadOnlyList<IReadOnlyList<double?>> ratersByUnits, MeasurementLevel level)
    {
        int unitCount = ratersByUnits.Count == 0 ? 0 : ratersByUnits.Max(r => r.Count);
        return Compute(Enumerable.Range(0, unitCount).Select(u => ratersByUnits
            .Where(rater => u < rater.Count && rater[u] is not null).Select(rater => rater[u]!.Value)), level);
    }

    /// <param name="codes">per unit, the indices into the value domain of the values it received</param>
    /// <param name="numbers">the numeric value of each index, ascending (null for nominal data)</param>
    static AlphaResult FromCodes(List<int[]> codes, int valueCount, MeasurementLevel level, double[]? numbers, Func<int, string> describe)
    {
        var coincidences = new double[valueCount, valueCount];   // o_ck
        int pairableUnits = 0;
        var counts = new int[valueCount];
        foreach (var unit in codes)
        {
            if (unit.Length < 2) continue;   // a lone value has no partner to agree or disagree with
            pairableUnits++;
            Array.Clear(counts);
            foreach (int code in unit) counts[code]++;
            var present = unit.Distinct().ToArray();
            double weight = 1.0 / (unit.Length - 1);
            // Ordered pairs of values from different raters: n_uc · n_uk of them for c ≠ k, n_uc · (n_uc − 1) for c = k.
            foreach (int c in present)
                foreach (int k in present)
                    coincidences[c, k] += counts[c] * (counts[k] - (c == k ? 1 : 0)) * weight;
        }

        var marginals = new double[valueCount];   // n_c
        for (int c = 0; c < valueCount; c++)
            for (int k = 0; k < valueCount; k++)
                marginals[c] += coincidences[c, k];
        double n = marginals.Sum();
        int pairableValues = (int)Math.Round(n);

        AlphaResult Undefined(string why) => new(level, double.NaN, codes.Count, pairableUnits, pairableValues, double.NaN, double.NaN, why);
        if (pairableUnits == 0)
            return Undefined("no unit has values from two or more raters, so there is nothing to compare (α needs pairable values)");

        var delta = Differences(level, marginals, numbers);
        double observed = 0, expected = 0;
        for (int c = 0; c < valueCount; c++)
            for (int k = 0; k < valueCount; k++)
            {
                observed += coincidences[c, k] * delta[c, k];
                expected += marginals[c] * marginals[k] * delta[c, k];
            }
        if (expected == 0)
        {
            int only = Array.FindIndex(marginals, m => m > 0);
            return Undefined($"all {pairableValues} pairable values are {describe(only)}: with no variation in the data, " +
                "agreement cannot be told from chance (expected disagreement is 0), so α is undefined");
        }
        double observedDisagreement = observed / n;
        double expectedDisagreement = expected / (n * (n - 1));
        return new(level, 1 - observedDisagreement / expectedDisagreement, codes.Count, pairableUnits, pairableValues,
            observedDisagreement, expectedDisagreement, null);
    }

    /// <summary>δ²_ck for every pair of values in the domain.</summary>
    static double[,] Differences(MeasurementLevel level, double[] marginals, double[]? numbers)
    {
        int count = marginals.Length;
        var delta = new double[count, count];
        if (level != MeasurementLevel.Nominal && numbers is null)
            throw new ArgumentException($"the {level.ToString().ToLowerInvariant()} level needs numeric values");
        // below[g] = n_0 + … + n_{g−1}, so Σ_{g=c..k} n_g = below[k + 1] − below[c] without a loop per pair.
        var below = new double[count + 1];
        for (int g = 0; g < count; g++) below[g + 1] = below[g] + marginals[g];
        for (int c = 0; c < count; c++)
            for (int k = 0; k < count; k++)
            {
                if (c == k) continue;
                int low = Math.Min(c, k), high = Math.Max(c, k);
                delta[c, k] = level switch
                {
                    MeasurementLevel.Nominal => 1,
                    // Krippendorff's ordinal metric: (Σ_{g=c..k} n_g − (n_c + n_k) / 2)², ranks by the marginal sums of the
                    // coincidence matrix, so the distance between two ranks is how many pairable values lie between them.
                    MeasurementLevel.Ordinal => Square(below[high + 1] - below[low] - (marginals[c] + marginals[k]) / 2),
                    MeasurementLevel.Interval => Square(numbers![c] - numbers[k]),
                    MeasurementLevel.Ratio => numbers![c] + numbers[k] == 0 ? 0 : Square((numbers[c] - numbers[k]) / (numbers[c] + numbers[k])),
                    _ => throw new ArgumentOutOfRangeException(nameof(level)),
                };
            }
        return delta;
    }

    static double Square(double x) => x * x;

    static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
