using StyleStudio.Data.Model;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Templates;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Application.Datasets;

/// <summary>What happens to a token in training.</summary>
public enum TokenRole
{
    /// <summary>Seen by the model, label -100 (template, system, prompt).</summary>
    Masked,
    /// <summary>Learned: the answer and its end-of-turn token.</summary>
    Trained,
    /// <summary>Removed by cutoff_len before training.</summary>
    Removed,
}

/// <summary>A run of consecutive tokens with the same role.</summary>
public sealed record PreviewSegment(string Text, TokenRole Role, int Tokens);

/// <summary>A row as the trainer will see it: its segments in order, cut ones included where they were.</summary>
public sealed record Preview(IReadOnlyList<PreviewSegment> Segments, int TotalTokens, int TrainedTokens, int RemovedTokens);

/// <summary>
/// Renders a row through a prompt template with the trainer's own encoder (so the preview cannot drift from training):
/// which tokens are learned (the answer and its end-of-turn token), which are masked (prompt, system, template), and
/// which the cutoff removes (LLaMA-Factory's rule: prompt and answer shortened from their ends, the answer kept where it fits).
/// Here, not in Data, because it joins a data set's row to the training engine's encoder.
/// </summary>
public static class PromptPreview
{
    public static Preview Render(DatasetRow row, PromptTemplate template, TextTokenizer tokenizer, int cutoff = 2048, bool trainOnPrompt = false)
    {
        var rendered = new ExampleEncoder(template, tokenizer, cutoff, trainOnPrompt).Render(row.ToConversation());
        TokenRole Role(int i) => !rendered.Kept[i] ? TokenRole.Removed
            : rendered.Labels[i] == CausalLmLoss.Ignore ? TokenRole.Masked : TokenRole.Trained;
        var segments = new List<PreviewSegment>();
        int start = 0;
        for (int i = 1; i <= rendered.InputIds.Length; i++)
        {
            if (i < rendered.InputIds.Length && Role(i) == Role(start)) continue;
            segments.Add(new PreviewSegment(tokenizer.Decode(rendered.InputIds[start..i]), Role(start), i - start));
            start = i;
        }
        var kept = rendered.AfterCutoff();
        return new Preview(segments, kept.Length, kept.TrainedTokens, rendered.InputIds.Length - kept.Length);
    }
}
