namespace StyleStudio.Data.Rating;

/// <summary>One item of a rating study: the source text and the two systems' outputs for it.</summary>
/// <param name="Index">0-based position in the study (and in the predictions files it was made from).</param>
/// <param name="Reference">The dataset row's own output, kept for export; raters do not see it.</param>
public sealed record StudyItem(int Index, string Source, string Output1, string Output2, string? Reference = null);
