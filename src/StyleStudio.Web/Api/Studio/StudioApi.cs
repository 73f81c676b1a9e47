namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// The studio's own HTTP API under <c>/api/v1</c> (beside the OpenAI-compatible <c>/v1</c>): datasets and training runs,
/// behind the same access rule as <c>/v1</c>, answering failures as problem details.
/// </summary>
public static class StudioApi
{
    public const string Prefix = "/api/v1";

    public static void MapStudioApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(Prefix).AddEndpointFilter<StudioApiGuard>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapDatasets();
        api.MapRuns();
        api.MapWorkers();
        // An unknown /api/v1 address answers as problem details too, rather than with the studio's not-found page.
        api.MapFallback("{**path}", (HttpContext http) => StudioProblems.NotFound(
            $"there is no {http.Request.Method} {http.Request.Path} here; the OpenAPI document at /openapi/v1.json lists this API's endpoints"))
            .ExcludeFromDescription();
    }
}
