using StyleStudio.Training.Templates;

namespace StyleStudio.Training.Generation;

/// <summary>
/// A user message laid out by a prompt template exactly as training laid out its examples, with the template's
/// end-of-turn token added to the model's stop tokens (a chat model ends its answer there, not at EOS).
/// </summary>
public sealed record TemplatedPrompt(int[] Ids, IReadOnlyList<int> StopIds)
{
    public static TemplatedPrompt Create(PretrainedModel model, PromptTemplate template, string message, string? system = null)
    {
        var tokenizer = model.RequireTokenizer();
        string eos = tokenizer.EosToken ?? "";
        var stopIds = model.EosTokenIds.ToList();
        if (tokenizer.TokenId(template.EndOfTurn(eos)) is { } endOfTurn && !stopIds.Contains(endOfTurn)) stopIds.Add(endOfTurn);
        return new TemplatedPrompt(tokenizer.Encode(template.RenderPrompt(message, system, eos)), stopIds);
    }
}
