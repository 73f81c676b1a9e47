using Microsoft.AspNetCore.SignalR;
using StyleStudio.Data.Storage;

namespace StyleStudio.Application.Runs;

/// <summary>What the training hub calls on its clients.</summary>
public interface ITrainingHubClient
{
    /// <summary>A run a client subscribed to has a new step or status: the same <see cref="RunUpdate"/> the run page gets.</summary>
    Task RunUpdate(RunUpdate update);
}

/// <summary>
/// Live training runs for clients outside the studio (SignalR at <see cref="Path"/>, admitted like the API): subscribe to
/// a run and receive each of its updates. <see cref="RunHubBridge"/> forwards them from <see cref="RunEvents"/>.
/// </summary>
public sealed class TrainingHub(DataStore store) : Hub<ITrainingHubClient>
{
    public const string Path = "/hubs/training";

    public static string Group(int runId) => $"run-{runId}";

    /// <summary>
    /// Joins run <paramref name="runId"/>'s updates and answers with the run so far, as the same updates: one per step
    /// recorded, then its current status. The run is read after joining, so no update falls between the answer and the
    /// pushed ones; a step may come both ways (its number tells).
    /// </summary>
    public async Task<IReadOnlyList<RunUpdate>> Subscribe(int runId)
    {
        if (!Exists(runId)) throw new HubException($"there is no run {runId}; subscribe to the id of a run listed on the Training page");
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(runId));
        var run = store.Runs.Get(runId);
        return [.. store.Runs.Metrics(runId).Select(metric => new RunUpdate(runId, metric)), new RunUpdate(runId, Status: run.Status, Message: run.Message)];
    }

    public Task Unsubscribe(int runId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, Group(runId));

    bool Exists(int runId)
    {
        try
        {
            store.Runs.Get(runId);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
