using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Training.Sft;

/// <summary>
/// Renders a conversation through a template and tokenizes it with prompt masking: each turn's prompt gets label -100,
/// its answer and end-of-turn marker are learned. Parts are tokenized separately and cut to <c>cutoff</c> the way
/// LLaMA-Factory does, so data prepared here trains like data prepared there.
/// </summary>
public sealed class ExampleEncoder(PromptTemplate template, TextTokenizer tokenizer, int cutoff = 2048, bool trainOnPrompt = false)
{
    public EncodedExample Encode(Conversation conversation) => Render(conversation).AfterCutoff();

    /// <summary>
    /// Every token of the rendered conversation, cut or not, each flagged with whether the cutoff keeps it: what a
    /// preview shows. <see cref="Encode"/> is exactly its kept tokens.
    /// </summary>
    public RenderedExample Render(Conversation conversation)
    {
        if (conversation.Turns.Count == 0) throw new ArgumentException("a conversation needs at least one turn", nameof(conversation));
        string eos = tokenizer.EosToken ?? "";
        var ids = new List<int>();
        var labels = new List<long>();
        var kept = new List<bool>();
        int keptCount = 0;
        void Add(int[] tokens, int keep, bool learned)
        {
            ids.AddRange(tokens);
            labels.AddRange(learned ? tokens.Select(i => (long)i) : Enumerable.Repeat(Objectives.CausalLmLoss.Ignore, tokens.Length));
            kept.AddRange(tokens.Select((_, i) => i < keep));
            keptCount += keep;
        }
        for (int turn = 0; turn < conversation.Turns.Count; turn++)
        {
            var (user, assistant) = conversation.Turns[turn];
            string prompt = turn == 0
                ? template.RenderPrompt(user, conversation.System, eos)
                : template.RenderFollowUpPrompt(user, eos);
            var source = tokenizer.Encode(prompt);
            var target = tokenizer.Encode(template.RenderAnswer(assistant, last: turn == conversation.Turns.Count - 1, eos));
            // Turns after the budget is spent are dropped whole (a zero budget keeps nothing).
            var (sourceLength, targetLength) = Lengths(source.Length, target.Length, cutoff - keptCount);
            Add(source, sourceLength, trainOnPrompt);
            Add(target, targetLength, learned: true);
        }
        return new RenderedExample([.. ids], [.. labels], [.. kept]);
    }

    /// <summary>
    /// How much of a prompt and an answer fit in <paramref name="budget"/> tokens: a short answer is kept whole, else a
    /// short prompt is, else both shrink in proportion (LLaMA-Factory's infer_seqlen).
    /// </summary>
    public static (int Source, int Target) Lengths(int source, int target, int budget)
    {
        int maxTarget = target * 2 < budget ? budget
            : source * 2 < budget ? budget - source
            : (int)(budget * ((double)target / (source + target)));
        int newTarget = Math.Min(maxTarget, target);
        int newSource = Math.Min(Math.Max(budget - newTarget, 0), source);
        return (newSource, newTarget);
    }
}
