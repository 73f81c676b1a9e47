using System.Collections.Immutable;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Pairs;

/// <summary>Something that happened to a generation: a text done (<paramref name="Item"/>), or its status changed (with a message).</summary>
public sealed record PairGenerationUpdate(int GenerationId, PairGenerationStatus Status, int Done, int Total, int Kept, int Rejected,
    int Failed, PairItem? Item = null, string? Message = null);

/// <summary>In-process notifier from generation jobs to the pages showing them (no polling); disposing the subscription ends it.</summary>
public sealed class PairGenerationEvents
{
    ImmutableArray<Action<PairGenerationUpdate>> handlers = [];

    public IDisposable Subscribe(Action<PairGenerationUpdate> handler)
    {
        handler = PageCulture.Keep(handler);   // runs in the subscriber's language, whoever publishes
        ImmutableInterlocked.Update(ref handlers, h => h.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref handlers, h => h.Remove(handler)));
    }

    public void Publish(PairGenerationUpdate update)
    {
        foreach (var handler in handlers) handler(update);
    }

    /// <summary>The record's counts and status as an update.</summary>
    public void Publish(PairGenerationRecord record, PairItem? item = null) =>
        Publish(new PairGenerationUpdate(record.Id, record.Status, record.Done, record.Total, record.Kept, record.Rejected, record.Failed, item, record.Message));

    sealed class Subscription(Action remove) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) remove();
        }
    }
}
