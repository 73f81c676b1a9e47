using System.Threading.RateLimiting;

namespace StyleStudio.Web.Api;

/// <summary>
/// Generation slots per caller (a key, or a client address without keys): <see cref="ApiCaller.MaxConcurrent"/> run,
/// <see cref="ApiCaller.MaxQueued"/> wait in arrival order, and a request beyond both is refused at once. One caller
/// flooding the server waits behind its own requests, not everyone's. The framework's partitioned concurrency limiter
/// does the counting and queueing, and drops a waiting request whose acquisition is cancelled (its client left).
/// </summary>
public sealed class GenerationSlots : IDisposable
{
    readonly PartitionedRateLimiter<ApiCaller> limiter = PartitionedRateLimiter.Create<ApiCaller, string>(caller =>
        RateLimitPartition.GetConcurrencyLimiter(caller.Partition, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = caller.MaxConcurrent,
            QueueLimit = caller.MaxQueued,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

    int held, waiting;

    /// <summary>Slots held now, over all callers (for the startup report's successors and for tests that wait on it).</summary>
    public int Held => Volatile.Read(ref held);

    /// <summary>Requests waiting for a slot now, over all callers.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>A slot for <paramref name="caller"/>, waiting in its queue if need be; the lease's
    /// <see cref="RateLimitLease.IsAcquired"/> is false when both are full. Dispose the lease to free the slot.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(ApiCaller caller, CancellationToken cancellation)
    {
        Interlocked.Increment(ref waiting);
        try
        {
            var lease = await limiter.AcquireAsync(caller, 1, cancellation);
            if (!lease.IsAcquired) return lease;
            Interlocked.Increment(ref held);
            return new CountedLease(lease, () => Interlocked.Decrement(ref held));
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
        }
    }

    public void Dispose() => limiter.Dispose();

    /// <summary>The limiter's lease, counted in <see cref="Held"/> until disposed.</summary>
    sealed class CountedLease(RateLimitLease inner, Action released) : RateLimitLease
    {
        int disposed;

        public override bool IsAcquired => inner.IsAcquired;
        public override IEnumerable<string> MetadataNames => inner.MetadataNames;
        public override bool TryGetMetadata(string metadataName, out object? metadata) => inner.TryGetMetadata(metadataName, out metadata);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
            {
                inner.Dispose();
                released();
            }
        }
    }
}
