using System.Text.Json;
using System.Text.Json.Serialization;

namespace StyleStudio.Web.Api;

/// <summary>OpenAI's error object: <c>message</c>, <c>type</c>, <c>param</c> and <c>code</c>, the last two null when they
/// do not apply — always present, as OpenAI's clients read them.</summary>
public sealed record ApiError(
    string Message,
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);

public sealed record ErrorBody(ApiError Error);

/// <summary>Every /v1 failure goes out through here, in OpenAI's shape.</summary>
static class ApiErrors
{
    public static IResult Result(int status, string message, string? param, string? code = null) =>
        Results.Json(new ErrorBody(new ApiError(message, TypeOf(status), param, code)), OpenAiEndpoints.Json, statusCode: status);

    public static Task Write(HttpContext http, int status, string message, string? param, string? code = null) =>
        Result(status, message, param, code).ExecuteAsync(http);

    /// <summary>OpenAI's error types by status: the request's fault, the key's, or the server's. OpenAI answers a bad
    /// key (401, <c>invalid_api_key</c>) as an invalid request, and a request-count limit (429) with type <c>requests</c>.</summary>
    static string TypeOf(int status) => status switch
    {
        403 => "permission_error",
        429 => "requests",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>A settings error in plain words, without .NET's "(Parameter 'x') Actual value was y." tail.</summary>
    public static string Plain(ArgumentException e) => ErrorText.Plain(e);
}
