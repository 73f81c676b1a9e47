using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// The OpenAPI description at <c>/openapi/v1.json</c>: the studio API and the OpenAI-compatible endpoints (pages, the
/// training hub and static files are not an API and stay out), with the bearer-key scheme both use.
/// </summary>
public static class StudioOpenApi
{
    public const string Document = "v1";
    const string Bearer = "bearer";

    /// <summary>
    /// Describes a JSON request body of type <typeparamref name="T"/> that the handler reads itself. Not
    /// <c>Accepts&lt;T&gt;</c>: that also makes routing refuse other content types before the handler can answer them
    /// with its own, specific error.
    /// </summary>
    public static RouteHandlerBuilder DescribesJsonBody<T>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, cancellation) =>
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(T), null, cancellation) },
                },
            });

    public static IServiceCollection AddStudioOpenApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(json => StudioJson.Configure(json.SerializerOptions));
        return services.AddOpenApi(Document, options =>
        {
            options.ShouldInclude = endpoint => endpoint.RelativePath is { } path
                && (path.StartsWith("api/v1/", StringComparison.Ordinal) || path.StartsWith("v1/", StringComparison.Ordinal));
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "StyleStudio API",
                    Version = "v1",
                    Description = "The studio's actions over HTTP under /api/v1 (upload datasets; start, follow and cancel training runs), " +
                                  "and the OpenAI-compatible /v1 endpoints that serve trained styles. Failures of /api/v1 are RFC 9457 " +
                                  "problem details naming the field at fault; /v1 answers in OpenAI's error shape. With API keys configured " +
                                  "(Studio:ApiKeys) every request needs 'Authorization: Bearer KEY'; without keys the API answers this machine only.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "One of the keys configured in Studio:ApiKeys. Not needed from this machine when no key is configured.",
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] });
                return Task.CompletedTask;
            });
        });
    }
}
