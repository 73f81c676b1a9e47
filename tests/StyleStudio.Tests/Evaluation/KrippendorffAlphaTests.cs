using StyleStudio.Evaluation.Agreement;

namespace StyleStudio.Tests.Evaluation;

/// <summary>
/// Krippendorff's α held to published worked examples with their printed values, then to properties that any correct
/// implementation has (invariance to the order of units and raters, binary data alike at every level) and to the
/// degenerate cases it defines.
/// </summary>
public class KrippendorffAlphaTests
{
    const double Printed = 1e-3;   // the papers print three decimals

    /// <summary>
    /// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers × 12 units with missing
    /// data; he prints α = 0.743 (nominal), 0.815 (ordinal), 0.849 (interval), 0.797 (ratio). The same matrix is R
    /// irr::kripp.alpha's documented example (<c>nmm</c>), with the same values.
    /// </summary>
    static readonly double?[][] FourObservers =
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
        [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];

    [Theory]
    [InlineData(MeasurementLevel.Nominal, 0.743)]
    [InlineData(MeasurementLevel.Ordinal, 0.815)]
    [InlineData(MeasurementLevel.Interval, 0.849)]
    [InlineData(MeasurementLevel.Ratio, 0.797)]
    public void Krippendorff_2011_four_observers_twelve_units_with_missing_data(MeasurementLevel level, double printed)
    {
        var result = KrippendorffAlpha.FromMatrix(FourObservers, level);
        Assert.True(result.IsDefined, result.Undefined);
        Assert.Equal(printed, result.Alpha, Printed);
        Assert.Equal(12, result.Units);
        Assert.Equal(11, result.PairableUnits);    // unit 12 has one value only
        Assert.Equal(40, result.PairableValues);   // his n = 40
    }

    /// <summary>Krippendorff (2011), section A: binary data, two observers, no missing data; he prints α = 0.095.</summary>
    [Fact]
    public void Krippendorff_2011_binary_two_observers()
    {
        double?[][] data =
        [
            [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
            [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
        ];
        var result = KrippendorffAlpha.FromMatrix(data, MeasurementLevel.Nominal);
        Assert.Equal(0.095, result.Alpha, Printed);
        Assert.Equal(20, result.PairableValues);
        // With two values every metric is a constant times the nominal one, so α is the same at every level.
        foreach (var level in new[] { MeasurementLevel.Ordinal, MeasurementLevel.Interval })
            Assert.Equal(result.Alpha, KrippendorffAlpha.FromMatrix(data, level).Alpha, 1e-12);
    }

    /// <summary>
    /// Krippendorff (2011), section B: nominal data, two observers, no missing data (values a–e); he prints α = 0.692.
    /// </summary>
    [Fact]
    public void Krippendorff_2011_nominal_two_observers_with_labels()
    {
        string[] observerA = ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"];
        string[] observerB = ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"];
        var result = KrippendorffAlpha.Nominal(observerA.Zip(observerB, (a, b) => new[] { a, b }));
        Assert.Equal(0.692, result.Alpha, Printed);
    }

    /// <summary>
    /// Wikipedia's "Krippendorff's alpha" computational example: 3 coders × 15 units, many missing; it prints
    /// α_nominal = 0.691 and α_interval = 0.811. The `krippendorff` Python package (pln-fing-udelar/fast-krippendorff,
    /// tests/test_krippendorff.py) asserts the same data to six decimals: 0.691358 and 0.810845.
    /// </summary>
    [Theory]
    [InlineData(MeasurementLevel.Nominal, 0.691358)]
    [InlineData(MeasurementLevel.Interval, 0.810845)]
    public void Wikipedia_three_coders_fifteen_units(MeasurementLevel level, double published)
    {
        double?[][] data =
        [
            [null, null, null, null, null, 3, 4, 1, 2, 1, 1, 3, 3, null, 3],
            [1, null, 2, 1, 3, 3, 4, 3, null, null, null, null, null, null, null],
            [null, null, 2, 1, 3, 4, 4, null, 2, 1, 1, 3, 3, null, 4],
        ];
        Assert.Equal(published, KrippendorffAlpha.FromMatrix(data, level).Alpha, 1e-6);
    }

    /// <summary>The `krippendorff` package's string-label test (same source as above): 0.722222.</summary>
    [Fact]
    public void String_labels_with_a_missing_value_match_the_krippendorff_package()
    {
        string?[][] coders =
        [
            ["pos", "neg", "neu", null],
            ["pos", "neg", "neu", "pos"],
            ["pos", "neg", "pos", "pos"],
        ];
        var units = Enumerable.Range(0, 4).Select(u => coders.Select(c => c[u]).OfType<string>());
        Assert.Equal(0.722222, KrippendorffAlpha.Nominal(units).Alpha, 1e-6);
    }

    [Theory]
    [InlineData(MeasurementLevel.Nominal)]
    [InlineData(MeasurementLevel.Ordinal)]
    [InlineData(MeasurementLevel.Interval)]
    [InlineData(MeasurementLevel.Ratio)]
    public void Alpha_does_not_depend_on_the_order_of_units_or_raters(MeasurementLevel level)
    {
        double expected = KrippendorffAlpha.FromMatrix(FourObservers, level).Alpha;
        var shuffled = FourObservers.Reverse().Select(rater => rater.Reverse().ToArray()).ToArray();
        Assert.Equal(expected, KrippendorffAlpha.FromMatrix(shuffled, level).Alpha, 1e-12);
        // Nominal labels that are not numbers give the same α as the numbers they stand for.
        if (level == MeasurementLevel.Nominal)
        {
            var labelled = Enumerable.Range(0, 12).Select(u => FourObservers.Where(r => r[u] is not null).Select(r => $"label {r[u]}"));
            Assert.Equal(expected, KrippendorffAlpha.Nominal(labelled).Alpha, 1e-12);
        }
    }

    [Fact]
    public void Ordinal_alpha_uses_ranks_not_distances()
    {
        // Stretching the top value changes interval α but not ordinal α, which sees only the order.
        var stretched = FourObservers.Select(r => r.Select(v => v == 5 ? 50 : v).ToArray()).ToArray();
        Assert.Equal(KrippendorffAlpha.FromMatrix(FourObservers, MeasurementLevel.Ordinal).Alpha,
            KrippendorffAlpha.FromMatrix(stretched, MeasurementLevel.Ordinal).Alpha, 1e-12);
        Assert.NotEqual(KrippendorffAlpha.FromMatrix(FourObservers, MeasurementLevel.Interval).Alpha,
            KrippendorffAlpha.FromMatrix(stretched, MeasurementLevel.Interval).Alpha, 1e-3);
    }

    [Fact]
    public void Perfect_agreement_is_one_and_ratio_handles_zeros()
    {
        double?[][] same = [[0, 1, 2], [0, 1, 2]];
        foreach (var level in Enum.GetValues<MeasurementLevel>())
            Assert.Equal(1.0, KrippendorffAlpha.FromMatrix(same, level).Alpha, 1e-12);
    }

    [Fact]
    public void No_pairable_values_leaves_alpha_undefined_and_says_why()
    {
        double?[][] data = [[1, null], [null, 2]];   // each unit rated once
        var result = KrippendorffAlpha.FromMatrix(data, MeasurementLevel.Interval);
        Assert.True(double.IsNaN(result.Alpha));
        Assert.False(result.IsDefined);
        Assert.Contains("two or more raters", result.Undefined);
        Assert.Equal(0, result.PairableValues);
        Assert.Equal(2, result.Units);
    }

    [Fact]
    public void One_value_throughout_leaves_alpha_undefined_and_names_the_value()
    {
        var result = KrippendorffAlpha.Nominal(new[] { new[] { "tie", "tie" }, new[] { "tie", "tie", "tie" } });
        Assert.True(double.IsNaN(result.Alpha));
        Assert.Contains("all 5 pairable values are 'tie'", result.Undefined);
    }

    [Fact]
    public void Ratio_level_refuses_negative_values()
    {
        var error = Assert.Throws<ArgumentException>(() => KrippendorffAlpha.Compute([[1.0, -2.0]], MeasurementLevel.Ratio));
        Assert.Contains("-2 is negative", error.Message);
    }
}
