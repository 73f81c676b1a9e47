using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Training.Generation;

/// <summary>A message of a conversation: <c>system</c>, <c>user</c> or <c>assistant</c> (OpenAI's <c>developer</c> counts as system).</summary>
public sealed record ChatTurn(string Role, string Content);

/// <summary>
/// A conversation laid out by a prompt template exactly as training laid out its examples (each part tokenized on its
/// own, as <see cref="Sft.ExampleEncoder"/> does), ending where the model's answer starts, with the template's end-of-turn
/// token added to the model's stop tokens (a chat model ends its answer there, not at EOS).
/// </summary>
public sealed record TemplatedPrompt(int[] Ids, IReadOnlyList<int> StopIds)
{
    public static TemplatedPrompt Create(PretrainedModel model, PromptTemplate template, string message, string? system = null) =>
        Create(model.RequireTokenizer(), model.EosTokenIds, template, [.. system is null ? [] : new[] { new ChatTurn("system", system) }, new ChatTurn("user", message)]);

    /// <summary>Lays out <paramref name="messages"/>: system messages (joined), then user and assistant turns alternating, ending with a user turn.</summary>
    /// <exception cref="ArgumentException">The roles are not in that order; the message says which one is out of place.</exception>
    public static TemplatedPrompt Create(TextTokenizer tokenizer, IReadOnlyList<int> eosIds, PromptTemplate template, IReadOnlyList<ChatTurn> messages)
    {
        string eos = tokenizer.EosToken ?? "";
        var stopIds = eosIds.ToList();
        foreach (var stop in (template.StopWords ?? []).Prepend(template.EndOfTurn(eos)))
            if (tokenizer.TokenId(stop) is { } id && !stopIds.Contains(id)) stopIds.Add(id);

        var system = messages.Where(IsSystem).Select(m => m.Content).ToList();
        var turns = messages.Where(m => !IsSystem(m)).ToList();
        for (int i = 0; i < messages.Count; i++)
            if (messages[i].Role is not ("system" or "developer" or "user" or "assistant"))
                throw new ArgumentException($"messages[{i}] has role '{messages[i].Role}'; the roles understood are system, developer, user and assistant", "messages");
        if (turns.Count == 0 || turns[^1].Role != "user")
            throw new ArgumentException("the conversation must end with a user message: the model answers it", "messages");
        for (int i = 0; i < turns.Count; i++)
            if (turns[i].Role != (i % 2 == 0 ? "user" : "assistant"))
                throw new ArgumentException($"user and assistant messages must alternate, starting with user; message {i + 1} after the system messages is '{turns[i].Role}'", "messages");

        var ids = new List<int>();
        string? systemText = system.Count > 0 ? string.Join("\n", system) : null;
        for (int i = 0; i < turns.Count; i += 2)
        {
            string prompt = i == 0 ? template.RenderPrompt(turns[i].Content, systemText, eos) : template.RenderFollowUpPrompt(turns[i].Content, eos);
            ids.AddRange(tokenizer.Encode(prompt));
            // Earlier answers as training laid them out; the open answer's opening ends the prompt.
            if (i + 1 < turns.Count) ids.AddRange(tokenizer.Encode(template.RenderAnswer(turns[i + 1].Content, last: false, eos)));
            else if (template.AnswerOpening.Length > 0) ids.AddRange(tokenizer.Encode(template.AnswerOpening));
        }
        return new TemplatedPrompt([.. ids], stopIds);
    }

    static bool IsSystem(ChatTurn message) => message.Role is "system" or "developer";
}
