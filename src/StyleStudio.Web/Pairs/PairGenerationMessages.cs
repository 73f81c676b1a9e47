namespace StyleStudio.Web.Pairs;

/// <summary>What a generation's record says when it ends without a dataset version or waits (the page localizes these keys).</summary>
public static class PairGenerationMessages
{
    public const string Cancelled = "Cancelled; no dataset version was written.";
    public const string CancelledBeforeStart = "Cancelled before it started.";
    public const string Interrupted = "The studio stopped during the generation; it starts over when the studio is back.";
    public const string NothingKept = "No pair passed the filters; no dataset version was written.";
}
