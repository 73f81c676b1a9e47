namespace StyleStudio.Evaluation.Agreement;

/// <summary>One value a rater gave a unit, as read from a ratings table.</summary>
/// <param name="Line">the 1-based line of the file it was read from (the header is line 1)</param>
public sealed record RatingEntry(string Unit, string Rater, string Value, long Line);
