namespace StyleStudio.Training.Templates;

/// <summary>
/// How a model expects a request and its answer laid out. <c>{eos}</c> in a pattern stands for the tokenizer's
/// end-of-sequence token. The prompt part is what generation is conditioned on; the answer is followed by
/// <see cref="AnswerSuffix"/>, whose first token is where generation should stop.
/// </summary>
/// <param name="Name">Template name as users type it (alpaca, qwen, llama3, …).</param>
/// <param name="Prefix">Text before everything (e.g. Llama 3's &lt;|begin_of_text|&gt;).</param>
/// <param name="SystemPattern">Wraps a system message ({system}); empty when the template folds it into the user turn.</param>
/// <param name="UserPattern">Wraps the request ({query}; {system_inline} for templates without a system turn).</param>
/// <param name="AnswerPrefix">Opens the answer (e.g. Qwen3's empty think block).</param>
/// <param name="AnswerSuffix">Closes the answer: the end-of-turn token the model must learn, then any separator.</param>
/// <param name="DefaultSystem">System message used when none is given; null for none.</param>
/// <param name="AnswerOpening">Text the model writes before each answer and learns with it (GLM-4's "\n" after
/// &lt;|assistant|&gt;); generation feeds it as the end of the prompt, so answers come back without it.</param>
/// <param name="EfficientEos">The answer suffix closes only the conversation's last answer; earlier answers run straight
/// into the next turn (LLaMA-Factory's efficient_eos).</param>
/// <param name="StopWords">Tokens besides the end of turn that end generation (GLM-4's &lt;|user|&gt;, &lt;|observation|&gt;).</param>
public sealed record PromptTemplate(string Name, string Prefix, string SystemPattern, string UserPattern, string AnswerPrefix,
    string AnswerSuffix, string? DefaultSystem = null, string AnswerOpening = "", bool EfficientEos = false,
    IReadOnlyList<string>? StopWords = null)
{
    /// <summary>The prompt for one request, ending where the model's answer starts.</summary>
    public string RenderPrompt(string query, string? system, string eosToken)
    {
        system ??= DefaultSystem;
        string systemTurn = system is null || SystemPattern.Length == 0 ? "" : SystemPattern.Replace("{system}", system);
        string inline = system is null || SystemPattern.Length > 0 ? "" : system + "\n\n";
        string user = UserPattern.Replace("{system_inline}", inline).Replace("{query}", query);
        return (Prefix + systemTurn + user + AnswerPrefix).Replace("{eos}", eosToken);
    }

    /// <summary>The prompt for a later turn of a conversation: no prefix and no system message.</summary>
    public string RenderFollowUpPrompt(string query, string eosToken) =>
        (UserPattern.Replace("{system_inline}", "").Replace("{query}", query) + AnswerPrefix).Replace("{eos}", eosToken);

    /// <summary>The token that ends the model's turn: where generation stops.</summary>
    public string EndOfTurn(string eosToken) => RenderAnswerSuffix(eosToken).TrimEnd('\n');

    /// <summary>The text after an answer, up to and including the end-of-turn marker.</summary>
    public string RenderAnswerSuffix(string eosToken) => AnswerSuffix.Replace("{eos}", eosToken);

    /// <summary>An answer as training learns it: its opening, the text, and the suffix unless a later turn follows
    /// under <see cref="EfficientEos"/>.</summary>
    public string RenderAnswer(string answer, bool last, string eosToken) =>
        AnswerOpening + answer + (EfficientEos && !last ? "" : RenderAnswerSuffix(eosToken));
}
