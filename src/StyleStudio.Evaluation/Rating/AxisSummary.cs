using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Agreement;

namespace StyleStudio.Evaluation.Rating;

/// <summary>
/// One scoring axis over a study: each system's mean 1–5 score (null when no one scored it) and the raters' ordinal
/// agreement on it, with each (item, system) output as a unit.
/// </summary>
public sealed record AxisSummary(RatingAxis Axis, double? Mean1, int Scored1, double? Mean2, int Scored2, AlphaResult Agreement);
