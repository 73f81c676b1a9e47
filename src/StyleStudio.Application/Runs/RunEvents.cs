using StyleStudio.Training.Trainer;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using StyleStudio.Application.Events;
using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Runs;

/// <summary>
/// Something that happened to a run: a step finished, or its status changed. The one event type from the trainer to
/// every consumer — the store, the run page, the training hub, other processes of a cluster.
/// </summary>
public sealed record RunUpdate(int RunId, TrainingEvent? Metric = null, RunStatus? Status = null, string? Message = null);

/// <summary>Carries updates from the process that makes them to every process of a cluster (see <see cref="Cluster.RedisRunRelay"/>).</summary>
public interface IRunUpdateRelay
{
    /// <summary>Sends <paramref name="update"/> to every process, this one included, each of which delivers it to its subscribers.</summary>
    void Send(RunUpdate update);
}

/// <summary>
/// Run updates from training jobs to the pages showing their runs: a page subscribes to a run and gets each update as
/// it happens (no polling); disposing the subscription ends it. In one process an update is delivered as it is
/// published; in a cluster it goes through the <see cref="IRunUpdateRelay"/> so that a page on the studio sees the steps
/// a worker on another machine trains.
/// </summary>
public sealed class RunEvents(IRunUpdateRelay? relay = null)
{
    readonly ConcurrentDictionary<int, ImmutableSubscribers> subscribers = new();
    ImmutableArray<Action<RunUpdate>> everyRun = [];
    ImmutableArray<Action<RunUpdate>> produced = [];

    sealed record ImmutableSubscribers(IReadOnlyList<Action<RunUpdate>> Handlers);

    public IDisposable Subscribe(int runId, Action<RunUpdate> handler)
    {
        handler = PageCulture.Keep(handler);   // runs in the subscriber's language, whoever publishes
        subscribers.AddOrUpdate(runId, _ => new([handler]), (_, current) => new([.. current.Handlers, handler]));
        return new Subscription(() => subscribers.AddOrUpdate(runId, _ => new([]),
            (_, current) => new(current.Handlers.Where(h => h != handler).ToList())));
    }

    /// <summary>Every run's updates as they are delivered to this process.</summary>
    public IDisposable SubscribeAll(Action<RunUpdate> handler)
    {
        handler = PageCulture.Keep(handler);
        ImmutableInterlocked.Update(ref everyRun, handlers => handlers.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref everyRun, handlers => handlers.Remove(handler)));
    }

    /// <summary>
    /// The updates published in this process, once each, before any relay: for forwarders that must pass each update
    /// on exactly once across a cluster, such as the training hub (whose Redis backplane reaches every studio's clients).
    /// </summary>
    public IDisposable SubscribeProduced(Action<RunUpdate> handler)
    {
        ImmutableInterlocked.Update(ref produced, handlers => handlers.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref produced, handlers => handlers.Remove(handler)));
    }

    /// <summary>What a producer (a job, the studio cancelling a run) calls.</summary>
    public void Publish(RunUpdate update)
    {
        foreach (var handler in produced) handler(update);
        if (relay is null) Deliver(update);
        else relay.Send(update);
    }

    /// <summary>Hands an update to this process's subscribers: called by <see cref="Publish"/>, or by the relay.</summary>
    public void Deliver(RunUpdate update)
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
