using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace StyleStudio.Web.Api;

/// <summary>
/// What every /v1 request must pass before a handler sees it: a JSON body within the size limit, and no other web
/// page's origin. Browsers send a cross-origin <c>text/plain</c> POST without asking (no CORS preflight), so accepting
/// only <c>application/json</c> and checking <c>Origin</c> together stop cross-site requests.
/// </summary>
sealed class ApiRequestGuard(IOptions<ApiOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var limits = options.Value;
        if (RefusedOrigin(http.Request, limits) is { } refused) return ApiErrors.Result(403, refused, null, "origin_not_allowed");

        if (HttpMethods.IsPost(http.Request.Method))
        {
            if (!http.Request.HasJsonContentType())
                return ApiErrors.Result(415, $"send the request body as application/json (got {http.Request.ContentType ?? "no content type"})",
                    null, "unsupported_media_type");
            if (http.Request.ContentLength > limits.MaxRequestBytes)
                return ApiErrors.Result(413, $"the request body is {http.Request.ContentLength:N0} bytes; the limit is {limits.MaxRequestBytes:N0}",
                    null, "request_too_large");
            // A body without a declared length (chunked) is cut off by the server at the same limit while it is read.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limits.MaxRequestBytes;
        }
        return await next(context);
    }

    /// <summary>Why a request from another web page's origin is refused, or null when it is not (no origin, the
    /// studio's own, or one listed in <see cref="ApiOptions.AllowedOrigins"/>). The studio API shares this rule.</summary>
    internal static string? RefusedOrigin(HttpRequest request, ApiOptions limits)
    {
        string? origin = request.Headers.Origin;
        return origin is not null && !IsSameOrigin(request, origin) && !limits.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)
            ? $"requests from web pages at {origin} are not accepted; list the origin in Studio:Api:AllowedOrigins to allow it"
            : null;
    }

    static bool IsSameOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);
}
