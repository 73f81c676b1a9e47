using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;

namespace StyleStudio.Web.Api.Studio;

/// <summary>
/// The studio API's JSON: snake_case names (LLaMA-Factory's setting keys fall out of <c>TrainConfig</c>'s property names,
/// and the OpenAI endpoints beside it write the same case), enums as lower-case names, unknown properties refused (a
/// misspelt <c>learning_rat</c> must not train silently at the default). Set as the app's minimal-API JSON options, so
/// the OpenAPI document describes exactly what goes over the wire.
/// </summary>
public static partial class StudioJson
{
    public static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.NumberHandling = JsonNumberHandling.Strict;   // a number is a number: "lora_rank": "8" is refused, not guessed at
        json.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;   // Chinese dataset names stay readable
    }

    /// <summary>The body as <typeparamref name="T"/>, or the problem to answer: not JSON, too large, or a field of the wrong type.</summary>
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpContext http, long maxBytes) where T : class
    {
        if (!http.Request.HasJsonContentType())
            return (null, StudioProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Send JSON",
                $"send the request body as application/json (got {http.Request.ContentType ?? "no content type"})", "unsupported_media_type"));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = maxBytes;
        var options = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, options, http.RequestAborted);
            return body is null ? (null, StudioProblems.Invalid("body", "the request body is empty")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, StudioProblems.Invalid(Field(e), Reason(e)));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, StudioProblems.Problem(StatusCodes.Status413PayloadTooLarge, "Request too large",
                $"the request body is larger than {maxBytes:N0} bytes (Studio:Api:MaxRequestBytes)", "request_too_large"));
        }
    }

    /// <summary>The property a JSON error is about, as the client wrote it (<c>settings.learning_rate</c>).</summary>
    static string Field(JsonException e)
    {
        string path = (e.Path ?? "$").TrimStart('$').TrimStart('.');
        return path.Length == 0 ? "body" : path;
    }

    static string Reason(JsonException e)
    {
        if (Unmapped(e) is { } property)
            return $"'{property}' is not a setting this endpoint takes; the OpenAPI document (/openapi/v1.json) lists those it does";
        string message = e.Message;
        int tail = message.IndexOf(" Path:", StringComparison.Ordinal);
        message = tail >= 0 ? message[..tail] : message;
        return DotNetType().Replace(message, match => match.Groups["type"].Value switch
        {
            "Int32" or "Int64" => "a whole number",
            "Double" or "Single" => "a number",
            "Boolean" => "true or false",
            "String" => "a string",
            var other => other,
        });
    }

    /// <summary>A .NET type name in a serializer message (System.Int32, System.Nullable`1[System.Int32]), for plain words.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"System\.(?:Nullable`1\[System\.)?(?<type>[A-Za-z0-9]+)\]?")]
    private static partial System.Text.RegularExpressions.Regex DotNetType();

    /// <summary>The property name in "The JSON property 'x' could not be mapped to any .NET member …", or null.</summary>
    static string? Unmapped(JsonException e)
    {
        const string lead = "The JSON property '";
        if (!e.Message.StartsWith(lead, StringComparison.Ordinal) || !e.Message.Contains("could not be mapped")) return null;
        int end = e.Message.IndexOf('\'', lead.Length);
        return end > lead.Length ? e.Message[lead.Length..end] : null;
    }
}
