using StyleStudio.Data.Model;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Data.Cleaning;

/// <summary>
/// Keeps rows whose prompt (history, instruction, input) and answer lengths, in tokens of the model's own tokenizer, lie
/// within bounds: what the trainer's cutoff_len sees, not characters.
/// </summary>
public sealed class TokenLengthFilter(TextTokenizer tokenizer, int minOutputTokens = 1, int maxTotalTokens = 2048) : CleaningStep
{
    public override string Name => $"length in tokens: answer ≥ {minOutputTokens}, prompt + answer ≤ {maxTotalTokens}";

    protected override DatasetRow? Transform(DatasetRow row)
    {
        int output = tokenizer.Encode(row.Output).Length;
        int prompt = tokenizer.Encode(row.Query).Length + row.History.Sum(t => tokenizer.Encode(t.User).Length + tokenizer.Encode(t.Assistant).Length);
        return output >= minOutputTokens && prompt + output <= maxTotalTokens ? row : null;
    }
}
