using Microsoft.AspNetCore.Http.HttpResults;

namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// Every /api/v1 failure as RFC 9457 (formerly 7807) problem details: a title, the whole reason in <c>detail</c>, a
/// machine-readable <c>code</c>, and for a bad field ASP.NET Core's <c>errors</c> map from the field (as the client named
/// it, e.g. <c>settings.learning_rate</c>) to its reasons — so a client can show the reason beside the right input.
/// </summary>
public static class StudioProblems
{
    /// <summary>400: <paramref name="field"/> is missing or wrong, and why.</summary>
    public static ValidationProblem Invalid(string field, string reason) => TypedResults.ValidationProblem(
        new Dictionary<string, string[]> { [field] = [reason] }, detail: $"{field}: {reason}", title: "The request is invalid",
        extensions: new Dictionary<string, object?> { ["code"] = "invalid_field", ["field"] = field });

    /// <summary>404: nothing of that kind by that name or id.</summary>
    public static ProblemHttpResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail, "not_found");

    /// <summary>Any other refusal: its status, a short title, the reason and a code.</summary>
    public static ProblemHttpResult Problem(int status, string title, string detail, string code) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: new Dictionary<string, object?> { ["code"] = code });
}
