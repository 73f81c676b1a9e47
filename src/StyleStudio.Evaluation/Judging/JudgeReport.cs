namespace StyleStudio.Evaluation.Judging;

/// <summary>How a row's judging ended.</summary>
public enum JudgeOutcome
{
    /// <summary>The judge gave three valid scores.</summary>
    Scored,
    /// <summary>Every attempt's reply broke the reply rules; the replies are kept, no score is guessed.</summary>
    Malformed,
    /// <summary>No reply came back (HTTP error, timeout, no connection); not cached, so a re-run tries again.</summary>
    TransportError,
}

/// <summary>The judge's verdict on one row.</summary>
/// <param name="Row">The row's index in the input.</param>
/// <param name="Scores">Set when <paramref name="Outcome"/> is <see cref="JudgeOutcome.Scored"/>.</param>
/// <param name="Replies">Every reply the judge gave, in order (the last one is the scored one when scored).</param>
/// <param name="Problem">What was wrong with the last reply, or the transport error; null when scored.</param>
/// <param name="Cached">Taken from the cache: no request was sent for it.</param>
public sealed record RowJudgement(int Row, JudgeOutcome Outcome, JudgeScores? Scores, IReadOnlyList<string> Replies, string? Problem, bool Cached);

/// <summary>Rows done so far, for a progress bar.</summary>
public sealed record JudgeProgress(int Done, int Total, int Malformed, int TransportErrors);

/// <summary>Mean scores over the rows the judge scored.</summary>
public sealed record JudgeMeans(double Style, double Meaning, double Fluency);

/// <summary>A judged set of rows.</summary>
/// <param name="Means">Over scored rows only; null when none was scored.</param>
public sealed record JudgeReport(string Judge, string RubricVersion, RubricLanguage Language, IReadOnlyList<RowJudgement> Rows, JudgeMeans? Means)
{
    public int Scored => Rows.Count(r => r.Outcome == JudgeOutcome.Scored);
    public int Malformed => Rows.Count(r => r.Outcome == JudgeOutcome.Malformed);
    public int TransportErrors => Rows.Count(r => r.Outcome == JudgeOutcome.TransportError);
    public int CacheHits => Rows.Count(r => r.Cached);
}
