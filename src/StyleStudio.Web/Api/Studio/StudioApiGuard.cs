namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// What every /api/v1 request passes before its handler: the API's access rule (<see cref="ApiAccess"/>: a configured
/// key, or this machine when there are none) and no other web page's origin (<see cref="ApiRequestGuard.RefusedOrigin"/>),
/// answered as problem details. A browser sends a cross-site multipart or text/plain POST without a CORS preflight, so the
/// origin check is what keeps a page the user happens to open from uploading data or starting runs on their studio.
/// </summary>
sealed class StudioApiGuard(ApiAccess access, Microsoft.Extensions.Options.IOptions<ApiOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (access.Admit(ApiAccess.PresentedKey(http.Request), http.Connection.RemoteIpAddress) is ApiAdmission.Refused refused)
        {
            if (refused.Status == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer";
            return StudioProblems.Problem(refused.Status, refused.Status == 401 ? "An API key is required" : "Not allowed", refused.Message, refused.Code);
        }
        if (ApiRequestGuard.RefusedOrigin(http.Request, options.Value) is { } origin)
            return StudioProblems.Problem(StatusCodes.Status403Forbidden, "Origin not allowed", origin, "origin_not_allowed");
        return await next(context);
    }
}
