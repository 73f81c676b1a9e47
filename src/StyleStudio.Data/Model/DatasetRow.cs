namespace StyleStudio.Data.Model;

/// <summary>
/// One training example in the shape every import is mapped to — alpaca's fields plus a style label: the last exchange is
/// instruction (+ input) → output, earlier exchanges are history. Sharegpt and OpenAI-messages conversations fit it too.
/// </summary>
public sealed record DatasetRow
{
    public required string Instruction { get; init; }
    public string? Input { get; init; }
    public required string Output { get; init; }
    public string? System { get; init; }
    /// <summary>The style this pair demonstrates ("古风", "casual"); null when the dataset has one style.</summary>
    public string? Style { get; init; }
    public IReadOnlyList<HistoryTurn> History { get; init; } = [];
    /// <summary>How sure the tool that made this pair is of it (a mined pair's similarity, a generated pair's filter score);
    /// null for pairs people wrote or imported.</summary>
    public double? Score { get; init; }
    /// <summary>Who wrote the pair (an annotator's name, or the model that generated it); null when unknown.</summary>
    public string? Author { get; init; }

    /// <summary>The user's last message: instruction and input joined by a newline, as LLaMA-Factory does (either may be empty).</summary>
    public string Query => string.IsNullOrEmpty(Input) ? Instruction : string.IsNullOrEmpty(Instruction) ? Input : Instruction + "\n" + Input;

    /// <summary>Equal text in every field, history included (record equality would compare the history lists by reference);
    /// provenance (score, author) is not content.</summary>
    public bool SameContent(DatasetRow other) =>
        Instruction == other.Instruction && Input == other.Input && Output == other.Output && System == other.System
        && Style == other.Style && History.SequenceEqual(other.History);
}
