namespace StyleStudio.Evaluation.Agreement;

/// <summary>
/// Krippendorff's α with the counts it rests on.
/// </summary>
/// <param name="Level">The difference function used.</param>
/// <param name="Alpha">1 − D_o / D_e; <see cref="double.NaN"/> when <see cref="Undefined"/> says why it cannot be computed.</param>
/// <param name="Units">Units given (a unit with no value at all still counts here when the caller passed it).</param>
/// <param name="PairableUnits">Units with values from at least two raters: only these enter α.</param>
/// <param name="PairableValues">n, the number of values in pairable units (the total of the coincidence matrix).</param>
/// <param name="ObservedDisagreement">D_o, the mean difference within units.</param>
/// <param name="ExpectedDisagreement">D_e, the mean difference of all pairable values regardless of unit.</param>
/// <param name="Undefined">Null when α is defined; otherwise the reason, in words a user can act on.</param>
public sealed record AlphaResult(
    MeasurementLevel Level,
    double Alpha,
    int Units,
    int PairableUnits,
    int PairableValues,
    double ObservedDisagreement,
    double ExpectedDisagreement,
    string? Undefined)
{
    public bool IsDefined => Undefined is null;
}
