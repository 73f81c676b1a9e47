using StyleStudio.Serving;
using StyleStudio.Training.Generation;

namespace StyleStudio.Web.Pairs;

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
