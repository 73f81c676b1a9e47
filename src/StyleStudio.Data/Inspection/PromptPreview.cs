using StyleStudio.Data.Model;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Data.Inspection;

/// <summary>A run of consecutive tokens that are all trained, or all masked from the loss.</summary>
public sealed record PreviewSegment(string Text, bool Trained, int Tokens);

/// <summary>A row as the trainer will see it, and what cutoff_len removed from it.</summary>
public sealed record Preview(IReadOnlyList<PreviewSegment> Segments, int TotalTokens, int TrainedTokens, int TokensBeforeCutoff, string? Truncated);

/// <summary>
/// Renders a row through a prompt template with the trainer's own encoder (so the preview cannot drift from training):
/// which tokens are learned (the answer and its end-of-turn token) and which are masked (prompt, system, template),
/// and what the cutoff truncation removes.
/// </summary>
public static class PromptPreview
{
    public static Preview Render(DatasetRow row, PromptTemplate template, TextTokenizer tokenizer, int cutoff = 2048, bool trainOnPrompt = false)
    {
        var conversation = row.ToConversation();
        var full = new ExampleEncoder(template, tokenizer, int.MaxValue / 2, trainOnPrompt).Encode(conversation);
        var cut = new ExampleEncoder(template, tokenizer, cutoff, trainOnPrompt).Encode(conversation);
        var segments = new List<PreviewSegment>();
        int start = 0;
        for (int i = 1; i <= cut.Length; i++)
        {
            if (i < cut.Length && Trained(cut, i) == Trained(cut, start)) continue;
            segments.Add(new PreviewSegment(tokenizer.Decode(cut.InputIds[start..i]), Trained(cut, start), i - start));
            start = i;
        }
        string? truncated = full.Length > cut.Length
            ? $"cutoff {cutoff} removed {full.Length - cut.Length} of {full.Length} tokens (LLaMA-Factory's rule: the prompt and answer are shortened in proportion, keeping the answer where possible)"
            : null;
        return new Preview(segments, cut.Length, cut.TrainedTokens, full.Length, truncated);
    }

    static bool Trained(EncodedExample example, int position) => example.Labels[position] != CausalLmLoss.Ignore;
}
