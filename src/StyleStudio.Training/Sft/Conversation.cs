namespace StyleStudio.Training.Sft;

/// <summary>One exchange: what the user asked and what the model should answer.</summary>
public sealed record Turn(string User, string Assistant);

/// <summary>
/// A supervised fine-tuning example: optional system message and one or more turns. Single-turn style pairs (alpaca:
/// instruction + input → output) are a conversation of one turn; every assistant turn is trained.
/// </summary>
public sealed record Conversation(IReadOnlyList<Turn> Turns, string? System = null);
