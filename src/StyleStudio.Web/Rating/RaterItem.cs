using StyleStudio.Data.Rating;
using StyleStudio.Evaluation.Rating;

namespace StyleStudio.Web.Rating;

/// <summary>An item as one rater sees it: the source and the two outputs in that rater's blind order, and their earlier
/// judgement of it, if any (by position, as they gave it).</summary>
public sealed record RaterItem(int Index, int Total, int Rated, string Source, string OutputA, string OutputB, bool Swapped,
    ScreenChoice? Earlier, AxisScores ScoresA, AxisScores ScoresB);
