using StyleStudio.Data.Storage;
using StyleStudio.Serving;

namespace StyleStudio.Web.Pairs;

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
