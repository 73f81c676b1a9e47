namespace StyleStudio.Web.Pairs;

/// <summary>Writes the plain side of a pair: the model's answer to the prompt followed by the styled text.</summary>
public interface IPairRewriter
{
    /// <summary>The rewrite, trimmed of surrounding whitespace.</summary>
    /// <exception cref="PairRewriterException">This text, or (when <see cref="PairRewriterException.Fatal"/>) every text, cannot be rewritten.</exception>
    Task<string> RewriteAsync(string styled, CancellationToken cancellation);
}

/// <summary>A rewrite that failed. <see cref="Fatal"/>: the rewriter refuses everything (bad key, unknown model, nothing
/// listening), so the generation stops; otherwise only this text is lost and the generation goes on.</summary>
public sealed class PairRewriterException(string message, bool fatal, Exception? inner = null) : Exception(message, inner)
{
    public bool Fatal { get; } = fatal;
}
