using StyleStudio.Data.Model;

namespace StyleStudio.Data.Cleaning;

/// <summary>
/// Keeps rows whose prompt (history, instruction, input) and answer lengths, in tokens of the model's own tokenizer, lie
/// within bounds: what the trainer's cutoff_len sees, not characters.
/// </summary>
/// <param name="countTokens">Tokens in a text, as the model's tokenizer counts them (a function, so that data sets need not
/// know the tokenizer).</param>
public sealed class TokenLengthFilter(Func<string, int> countTokens, int minOutputTokens = 1, int maxTotalTokens = 2048) : CleaningStep
{
    public override string Name => $"length in tokens: answer ≥ {minOutputTokens}, prompt + answer ≤ {maxTotalTokens}";

    protected override DatasetRow? Transform(DatasetRow row)
    {
        int output = countTokens(row.Output);
        int prompt = countTokens(row.Query) + row.History.Sum(t => countTokens(t.User) + countTokens(t.Assistant));
        return output >= minOutputTokens && prompt + output <= maxTotalTokens ? row : null;
    }
}
