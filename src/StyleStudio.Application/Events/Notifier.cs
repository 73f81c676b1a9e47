using System.Collections.Immutable;

namespace StyleStudio.Application.Events;

/// <summary>
/// An in-process notifier from a producer (a job, a service) to the pages showing its work, so pages never poll.
/// Subscribers are called on the publisher's thread, in the language they subscribed in; disposing the subscription ends it.
/// </summary>
public class Notifier<T>
{
    ImmutableArray<Action<T>> handlers = [];

    public IDisposable Subscribe(Action<T> handler)
    {
        handler = PageCulture.Keep(handler);   // runs in the subscriber's language, whoever publishes
        ImmutableInterlocked.Update(ref handlers, h => h.Add(handler));
        return new Subscription(() => ImmutableInterlocked.Update(ref handlers, h => h.Remove(handler)));
    }

    public void Publish(T update)
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
