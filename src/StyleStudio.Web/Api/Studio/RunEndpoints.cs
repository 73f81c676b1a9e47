using StyleStudio.Training.Trainer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.Extensions.Options;
using StyleStudio.Data.Storage;
using StyleStudio.Web.Services;
using StyleStudio.Web.Training;

namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// <c>/api/v1/runs</c>: start, list, follow and cancel training runs — the training page's actions, through the same
/// <see cref="TrainingRuns"/> and the run store the run page reads.
/// </summary>
public static class RunEndpoints
{
    public static void MapRuns(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/runs").WithTags("Runs");
        runs.MapGet("", List).WithName("ListRuns").WithSummary("List training runs")
            .WithDescription("Every run, newest first, with its status and progress.");
        runs.MapPost("", StartAsync).WithName("StartRun").WithSummary("Start a training run")
            .WithDescription("Queues a run of the settings on the current version of a dataset, with the checks of the training form: " +
                             "a bad setting is answered 400 naming it (e.g. settings.learning_rate). The run trains in the background; " +
                             "follow it with GET /api/v1/runs/{id} and /metrics.")
            .DescribesJsonBody<StartRunRequest>()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        runs.MapGet("/{id:int}", Get).WithName("GetRun").WithSummary("A run's status and progress")
            .WithDescription("Status, progress (step of total), the latest loss, and the error when it failed.");
        runs.MapPost("/{id:int}/cancel", Cancel).WithName("CancelRun").WithSummary("Cancel a run")
            .WithDescription("A queued run is cancelled at once; a running one stops after its current step and keeps its checkpoints. " +
                             "A run that has already ended is answered 409.");
        runs.MapGet("/{id:int}/metrics", Metrics).WithName("GetRunMetrics").WithSummary("A run's recorded steps")
            .WithDescription("Every step the run stored after step `after` (default 0: all), in strictly increasing order, each once. " +
                             "To follow a run, pass the last step you have as `after` until `finished` is true.")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // Documented as the whole number it is, though the handler reads it as text (see Metrics).
                if (operation.Parameters?.FirstOrDefault(p => p.Name == "after") is OpenApiParameter after)
                    after.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "0", Default = 0 };
                return Task.CompletedTask;
            });
    }

    static Ok<List<RunView>> List(DataStore store) =>
        TypedResults.Ok(store.Runs.All().Select(run => View(store, run)).ToList());

    static Results<Ok<RunView>, ProblemHttpResult> Get(int id, DataStore store) =>
        Find(store, id) is { } run ? TypedResults.Ok(View(store, run)) : NoRun(id);

    static async Task<Results<Accepted<RunView>, ValidationProblem, ProblemHttpResult>> StartAsync(HttpContext http, DataStore store,
        ModelCatalog models, TrainingRuns runs, IOptions<ApiOptions> limits)
    {
        var (body, problem) = await StudioJson.ReadAsync<StartRunRequest>(http, limits.Value.MaxRequestBytes);
        if (problem is not null) return problem is ValidationProblem invalid ? invalid : (ProblemHttpResult)problem;
        if (string.IsNullOrWhiteSpace(body!.Name)) return StudioProblems.Invalid("name", "give the run a name");
        if (string.IsNullOrEmpty(body.Dataset)) return StudioProblems.Invalid("dataset", "name the dataset to train on (GET /api/v1/datasets lists them)");
        if (!store.Datasets().Any(d => d.Name == body.Dataset))
            return StudioProblems.Invalid("dataset", $"no dataset named '{body.Dataset}'; datasets: {string.Join(", ", store.Datasets().Select(d => d.Name))}");
        if (string.IsNullOrEmpty(body.Model)) return StudioProblems.Invalid("model", "name the model folder to train (e.g. qwen2)");
        if (!models.Models().Any(m => m.Name == body.Model))
            return StudioProblems.Invalid("model", $"no model folder named '{body.Model}' in {models.Folder}; models: {string.Join(", ", models.Models().Select(m => m.Name))}");
        var settings = body.Settings ?? new();
        foreach (var (key, value) in new[] { ("model_name_or_path", settings.ModelNameOrPath), ("dataset", settings.Dataset), ("output_dir", settings.OutputDir) })
            if (value is not null)
                return StudioProblems.Invalid($"settings.{key}", $"the studio sets {key} itself (from the request's model and dataset, and runs/ID in its data folder); leave it out");
        try
        {
            var run = runs.Start(body.Name, body.Dataset, body.Model, settings.ToRequest(), body.Style);
            return TypedResults.Accepted($"/api/v1/runs/{run.Id}", View(store, run));
        }
        catch (RunSettingException e)
        {
            return StudioProblems.Invalid($"settings.{e.Setting}", e.Message);
        }
        catch (ArgumentException e)
        {
            // What is left of Start's checks is about the rows: none in the dataset, or none of the style asked for.
            return StudioProblems.Invalid(body.Style is null ? "dataset" : "style", e.Message);
        }
    }

    static Results<Accepted<RunView>, ProblemHttpResult> Cancel(int id, DataStore store, TrainingRuns runs)
    {
        if (Find(store, id) is not { } run) return NoRun(id);
        if (run.Status is not (RunStatus.Queued or RunStatus.Running))
            return StudioProblems.Problem(StatusCodes.Status409Conflict, "The run has ended",
                $"run {id} ({run.Name}) is already {Name(run.Status)}; there is nothing to cancel", "run_ended");
        runs.Cancel(id);
        return TypedResults.Accepted($"/api/v1/runs/{id}", View(store, store.Runs.Get(id)));
    }

    /// <param name="after">The last step the client already has: only later steps are returned. Defaults to 0 (every step).</param>
    static Results<Ok<RunMetricsPage>, ValidationProblem, ProblemHttpResult> Metrics(int id, DataStore store, string? after = null)
    {
        // Bound as text so that a bad value gets this API's own answer, not the framework's empty 400.
        int from = 0;
        if (after is not null && (!int.TryParse(after, out from) || from < 0))
            return StudioProblems.Invalid("after", $"after is a step number, 0 or more; got '{after}'");
        // The status is read before the steps: a run seen finished here has stored its last step already.
        if (Find(store, id) is not { } run) return NoRun(id);
        var steps = Steps(store, id).Where(m => m.Step > from).ToList();
        return TypedResults.Ok(new RunMetricsPage(id, run.Status, Ended(run.Status), steps));
    }

    /// <summary>The run's steps in order, each once: an attempt that died may have stored a step its successor stored
    /// again, and the later one is the step the run's result continues from.</summary>
    static IEnumerable<StepMetric> Steps(DataStore store, int id) =>
        store.Runs.Metrics(id).GroupBy(m => m.Step).Select(g => StepMetric.Of(g.Last()));

    static RunView View(DataStore store, RunRecord run) => RunView.Of(run, Steps(store, run.Id).LastOrDefault());

    static RunRecord? Find(DataStore store, int id)
    {
        try
        {
            return store.Runs.Get(id);
        }
        catch (ArgumentException)
        {
            return null;   // the store's way of saying there is no such run
        }
    }

    static ProblemHttpResult NoRun(int id) => StudioProblems.NotFound($"no run with id {id} (GET /api/v1/runs lists them)");

    static bool Ended(RunStatus status) => status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled;

    static string Name(RunStatus status) => status.ToString().ToLowerInvariant();
}
