using System.Threading.RateLimiting;

namespace StyleStudio.Web.Api;

/// <summary>
/// The /v1 filter that admits a client (<see cref="ApiAccess"/>: its key, or its address when there are no keys) and,
/// for a generation (any POST), holds one of the caller's <see cref="GenerationSlots"/> until the handler has returned —
/// which, for a streamed answer, is after its last event.
/// </summary>
sealed class ApiAccessFilter(ApiAccess access, GenerationSlots slots) : IEndpointFilter
{
    /// <summary>A slot frees whenever one of the caller's generations ends, which cannot be foreseen; a second is a
    /// short wait for a client that backs off on its own after that.</summary>
    const int RetryAfterSeconds = 1;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var admission = access.Admit(ApiAccess.PresentedKey(http.Request), http.Connection.RemoteIpAddress);
        if (admission is ApiAdmission.Refused refused)
        {
            if (refused.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiErrors.Result(refused.Status, refused.Message, null, refused.Code);
        }
        if (!HttpMethods.IsPost(http.Request.Method)) return await next(context);

        var caller = ((ApiAdmission.Admitted)admission).Caller;
        RateLimitLease lease;
        try
        {
            lease = await slots.AcquireAsync(caller, http.RequestAborted);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;   // the client left while waiting; the limiter has taken it out of the queue
        }
        using (lease)
        {
            if (!lease.IsAcquired)
            {
                http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
                return ApiErrors.Result(429, $"{caller.Name} already has {caller.MaxConcurrent} generation(s) running and {caller.MaxQueued} waiting, " +
                    $"its limit (Studio:Api:MaxConcurrent / MaxQueued, or the key's own); retry after {RetryAfterSeconds} s", null, "rate_limit_exceeded");
            }
            // A handler may return its answer as an IResult (a streamed one included) that the framework would run
            // after this filter: run it here, inside the slot.
            var result = await next(context);
            if (result is not IResult answer) return result;
            await answer.ExecuteAsync(http);
            return Results.Empty;
        }
    }
}
