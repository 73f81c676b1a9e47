using StyleStudio.Evaluation.Agreement;

namespace StyleStudio.Evaluation.Rating;

/// <summary>What a study's ratings show: the win rate, per-axis means and agreement, and how many raters and items.</summary>
/// <param name="PreferenceAgreement">Nominal α of the preferences by system (system 1, system 2, tie, both bad) with the
/// item as unit.</param>
/// <param name="RatedItems">Items with at least one rating.</param>
public sealed record StudyResults(string System1, string System2, int Items, int RatedItems, int Raters, int Ratings, WinRate WinRate,
    AlphaResult PreferenceAgreement, IReadOnlyList<AxisSummary> Axes);
