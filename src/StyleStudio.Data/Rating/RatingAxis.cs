namespace StyleStudio.Data.Rating;

/// <summary>The optional 1–5 scores a rater may give each output.</summary>
public enum RatingAxis
{
    /// <summary>How strongly the output shows the target style.</summary>
    Style,

    /// <summary>How well the output keeps the source's meaning.</summary>
    Meaning,

    /// <summary>How fluent and natural the output reads.</summary>
    Fluency,
}
