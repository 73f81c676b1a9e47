using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using StyleStudio.Application.Runs;

namespace StyleStudio.Application.Cluster;

/// <summary>
/// Run updates between a cluster's processes over one Redis pub/sub channel: a worker's steps reach the run pages of
/// every studio process. Redis delivers a publisher's messages in order, so each run's steps arrive in the order they
/// were trained. Pub/sub keeps nothing: a process that was not listening (restarting) reads what it missed from the
/// store, as every page does when it opens.
/// </summary>
public sealed class RedisRunRelay : IRunUpdateRelay, IHostedService, IDisposable
{
    static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter() } };

    readonly Lazy<ConnectionMultiplexer> redis;
    readonly RedisChannel channel;
    readonly ILogger<RedisRunRelay> log;

    /// <summary>Set once the events it delivers to exist (they are built with this relay).</summary>
    public RunEvents? Events { get; set; }

    public RedisRunRelay(ClusterOptions options, ILogger<RedisRunRelay> log)
    {
        this.log = log;
        channel = RedisChannel.Literal($"{options.Name}:run-updates");
        redis = new(() => ConnectionMultiplexer.Connect(options.Redis!));
    }

    public void Send(RunUpdate update)
    {
        try
        {
            // Fire and forget: a training step never waits on the network; the store has every step regardless.
            redis.Value.GetSubscriber().Publish(channel, JsonSerializer.Serialize(update, Json), CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            log.LogWarning(e, "could not send run {Run}'s update to the cluster", update.RunId);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // OnMessage handles one message at a time, in order.
        var queue = await redis.Value.GetSubscriber().SubscribeAsync(channel);
        queue.OnMessage(message =>
        {
            try
            {
                if (JsonSerializer.Deserialize<RunUpdate>((string)message.Message!, Json) is { } update) Events?.Deliver(update);
            }
            catch (Exception e)
            {
                log.LogWarning(e, "a run update from the cluster could not be delivered");
            }
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        if (redis.IsValueCreated) redis.Value.Dispose();
    }
}
