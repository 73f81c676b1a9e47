namespace StyleStudio.Web.Evaluations;

/// <summary>
/// What the evaluation job says of an evaluation's progress and end, in one place so that the evaluation page can say
/// it in the reader's language. Any other message is a failure's own text, shown as it came.
/// </summary>
public static class EvaluationMessages
{
    public const string TrainingClassifier = "training the style classifier";
    /// <summary>While the LLM judge scores the rows (the update's done and total count its verdicts).</summary>
    public const string Judging = "LLM judge";
    public const string Cancelled = "cancelled";
    public const string CancelledBeforeStart = "cancelled before it started";
    public const string Interrupted = "interrupted: the studio stopped; the evaluation starts over when it restarts";
    public const string InterruptedAtStartup = "interrupted: the studio stopped; starting over";
}
