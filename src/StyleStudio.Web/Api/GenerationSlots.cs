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

    /// <summary>A slot for <paramref name="caller"/>, waiting in its queue if need be; the lease's
    /// <see cref="RateLimitLease.IsAcquired"/> is false when both are full. Dispose the lease to free the slot.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(ApiCaller caller, CancellationToken cancellation) =>
        limiter.AcquireAsync(caller, 1, cancellation);

    public void Dispose() => limiter.Dispose();
}
