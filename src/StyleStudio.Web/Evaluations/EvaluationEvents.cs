using System.Collections.Immutable;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Localization;

namespace StyleStudio.Web.Evaluations;

/// <summary>Something that happened to an evaluation: rows done, or its status changed (with a message).</summary>
public sealed record EvaluationUpdate(int EvaluationId, EvaluationStatus Status, int Done, int Total, string? Message = null);

/// <summary>In-process notifier from evaluation jobs to the pages showing them (no polling); disposing the subscription ends it.</summary>
public sealed class EvaluationEvents
{
    ImmutableArray<Action<EvaluationUpdate>> handlers = [];

    public IDisposable Subscribe(Action<EvaluationUpdate> handler)
    {
        handler = PageCulture.Keep(handler);   // runs in the subscriber's language, whoever publishes
        ImmutableInterlocked.Update(ref handlers, h => h.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref handlers, h => h.Remove(handler)));
    }

    public void Publish(EvaluationUpdate update)
    {
        foreach (var handler in handlers) handler(update);
    }

    sealed class Subscription(Action remove) : IDisposable
    {
        int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) remove();
        }
    }
}
