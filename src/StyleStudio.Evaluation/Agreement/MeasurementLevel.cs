namespace StyleStudio.Evaluation.Agreement;

/// <summary>
/// The level of measurement of the values raters assign, which picks Krippendorff's difference function δ²(c, k).
/// </summary>
public enum MeasurementLevel
{
    /// <summary>Categories: any two different values differ by 1.</summary>
    Nominal,

    /// <summary>Ranks: the difference grows with how many pairable values lie between c and k (the marginal sums).</summary>
    Ordinal,

    /// <summary>Numbers on an interval scale: (c − k)².</summary>
    Interval,

    /// <summary>Numbers with an absolute zero: ((c − k) / (c + k))²; values must not be negative.</summary>
    Ratio,
}
