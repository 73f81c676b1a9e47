using StyleStudio.Web.Services;
using StyleStudio.Data.Storage;

namespace StyleStudio.Web.Pairs;

/// <summary>Something that happened to a generation: a text done (<paramref name="Item"/>), or its status changed (with a message).</summary>
public sealed record PairGenerationUpdate(int GenerationId, PairGenerationStatus Status, int Done, int Total, int Kept, int Rejected,
    int Failed, PairItem? Item = null, string? Message = null);

/// <summary>In-process notifier from generation jobs to the pages showing them (no polling); disposing the subscription ends it.</summary>
public sealed class PairGenerationEvents : Notifier<PairGenerationUpdate>
{
    /// <summary>The record's counts and status as an update.</summary>
    public void Publish(PairGenerationRecord record, PairItem? item = null) =>
        Publish(new PairGenerationUpdate(record.Id, record.Status, record.Done, record.Total, record.Kept, record.Rejected, record.Failed, item, record.Message));
}
