namespace StyleStudio.Data.Model;

/// <summary>
/// One earlier exchange of a row: what the user asked and what the assistant answered. The data sets' own type, shaped like
/// the trainer's turn, so that rows can be imported, cleaned and stored without the training engine.
/// </summary>
public sealed record HistoryTurn(string User, string Assistant);
