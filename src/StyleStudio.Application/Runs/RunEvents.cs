using StyleStudio.Application.Events;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Runs;

/// <summary>Something that happened to a run: a step finished, or its status changed.</summary>
public sealed record RunUpdate(int RunId, RunMetric? Metric = null, RunStatus? Status = null, string? Message = null);

/// <summary>
/// In-process notifier from training jobs to the pages showing their runs: a page subscribes to a run and gets each
/// update as it happens (no polling); disposing the subscription ends it. Jobs and pages share the process, so no hub
/// connection back to our own server is needed.
/// </summary>
public sealed class RunEvents
{
    readonly ConcurrentDictionary<int, ImmutableSubscribers> subscribers = new();
    ImmutableArray<Action<RunUpdate>> everyRun = [];

    sealed record ImmutableSubscribers(IReadOnlyList<Action<RunUpdate>> Handlers);

    public IDisposable Subscribe(int runId, Action<RunUpdate> handler)
    {
        handler = PageCulture.Keep(handler);   // runs in the subscriber's language, whoever publishes
        subscribers.AddOrUpdate(runId, _ => new([handler]), (_, current) => new([.. current.Handlers, handler]));
        return new Subscription(() => subscribers.AddOrUpdate(runId, _ => new([]),
            (_, current) => new(current.Handlers.Where(h => h != handler).ToList())));
    }

    /// <summary>Every run's updates, e.g. to forward them to the training hub.</summary>
    public IDisposable SubscribeAll(Action<RunUpdate> handler)
    {
        handler = PageCulture.Keep(handler);
        ImmutableInterlocked.Update(ref everyRun, handlers => handlers.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref everyRun, handlers => handlers.Remove(handler)));
    }

    public void Publish(RunUpdate update)
    {
        foreach (var handler in everyRun) handler(update);
        if (!subscribers.TryGetValue(update.RunId, out var current)) return;
        foreach (var handler in current.Handlers) handler(update);
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
