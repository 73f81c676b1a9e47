using StyleStudio.Data.Model;
using StyleStudio.Training.Sft;

namespace StyleStudio.Application.Datasets;

/// <summary>
/// Data set rows as the trainer takes them. Here rather than on <see cref="DatasetRow"/> so that data sets do not depend on
/// the training engine.
/// </summary>
public static class DatasetRowConversations
{
    /// <summary>The row's history, then its own exchange (query → output), under its system message.</summary>
    public static Conversation ToConversation(this DatasetRow row) =>
        new([.. row.History.Select(t => new Turn(t.User, t.Assistant)), new Turn(row.Query, row.Output)], row.System);
}
