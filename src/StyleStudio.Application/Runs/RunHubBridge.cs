using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;

namespace StyleStudio.Application.Runs;

/// <summary>
/// Forwards the run updates published in this process (<see cref="RunEvents.SubscribeProduced"/>) to the training hub's
/// group for that run: in a cluster the worker that trains forwards them, once, and SignalR's Redis backplane carries them
/// to the clients of every studio process. Jobs publish on their own thread; a queue between them and the hub keeps a
/// slow client from holding up a training step and keeps each run's updates in order.
/// </summary>
public sealed class RunHubBridge(RunEvents events, IHubContext<TrainingHub, ITrainingHubClient> hub, ILogger<RunHubBridge> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var updates = Channel.CreateUnbounded<RunUpdate>(new UnboundedChannelOptions { SingleReader = true });
        using var subscription = events.SubscribeProduced(update => updates.Writer.TryWrite(update));
        await foreach (var update in updates.Reader.ReadAllAsync(stopping))
        {
            try
            {
                await hub.Clients.Group(TrainingHub.Group(update.RunId)).RunUpdate(update);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "could not send run {Run}'s update to the training hub", update.RunId);
            }
        }
    }
}
