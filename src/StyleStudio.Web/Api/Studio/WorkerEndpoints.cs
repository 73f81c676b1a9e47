using Microsoft.AspNetCore.Http.HttpResults;
using StyleStudio.Application.Cluster;

namespace StyleStudio.Web.Api.Studio;

/// <summary><c>/api/v1/workers</c>: the processes that train — a cluster's workers, or the embedded studio itself.</summary>
public static class WorkerEndpoints
{
    public static void MapWorkers(this RouteGroupBuilder api) =>
        api.MapGet("/workers", (TrainingWorkers workers) => TypedResults.Ok(workers.All().ToList()))
            .WithTags("Workers").WithName("ListWorkers").WithSummary("The training workers")
            .WithDescription("Every job server taking training runs: its id (as a run's `worker` names it), name, last heartbeat, " +
                             "whether it is alive (beat within Studio:Cluster:WorkerTimeoutSeconds) and the run it is training.");
}
