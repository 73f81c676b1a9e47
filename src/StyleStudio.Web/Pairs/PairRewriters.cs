using StyleStudio.Data.Storage;
using StyleStudio.Serving;
using StyleStudio.Training.Generation;

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

/// <summary>How a generation's prompt meets each text, the same for every rewriter: one user message, the prompt, a
/// newline, the text (as training joins an instruction and its input).</summary>
public static class PairPrompt
{
    public const string Chinese = "把下面的古文/风格化文字改写成平实的现代白话文，只输出改写结果：";
    public const string English = "Rewrite the following text in plain, neutral English. Output only the rewrite:";

    public static string Message(string prompt, string styled) => prompt + "\n" + styled;

    /// <summary>The default prompt for texts in Chinese or not.</summary>
    public static string For(bool chinese) => chinese ? Chinese : English;

    public static IPairRewriter Create(PairGenerationSettings settings, string? apiKey, GenerationService generation) =>
        settings.Rewriter.Endpoint is { } endpoint
            ? new EndpointRewriter(new Uri(endpoint), settings.Rewriter.Model, apiKey, settings.Prompt, settings.Temperature, settings.MaxTokens)
            : new ServedRewriter(generation, settings.Rewriter.Model, settings.Prompt, settings.Temperature, settings.MaxTokens);
}

/// <summary>A model this studio serves (a base, <c>run-N</c>, <c>BASE:ADAPTER</c> or a style), through the
/// <see cref="GenerationService"/> as the playground and the API use it.</summary>
public sealed class ServedRewriter(GenerationService generation, string model, string prompt, double temperature, int maxTokens) : IPairRewriter
{
    public async Task<string> RewriteAsync(string styled, CancellationToken cancellation)
    {
        var request = new GenerationRequest
        {
            Model = model,
            Messages = [new ChatTurn("user", PairPrompt.Message(prompt, styled))],
            Sampling = new SamplingOptions { Temperature = temperature, MaxNewTokens = maxTokens },
            // The prompt asks for plain text; a style's own phrasing (write in the style) would ask the opposite.
            WithStyleInstruction = false,
        };
        try
        {
            return (await generation.GenerateAsync(request, cancellation)).Text.Trim();
        }
        catch (ModelNotFoundException e)
        {
            throw new PairRewriterException(e.Message, fatal: true, e);
        }
        catch (ArgumentException e)   // this text's prompt: too long for the context, empty
        {
            throw new PairRewriterException(e.Message, fatal: false, e);
        }
    }
}
