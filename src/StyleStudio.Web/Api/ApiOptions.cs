namespace StyleStudio.Web.Api;

/// <summary>Limits and origins for the OpenAI-compatible API, bound from <c>Studio:Api</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "Studio:Api";

    /// <summary>The largest request body accepted, in bytes; larger ones get 413 before they are read. Defaults to 1 MiB,
    /// far above any text a style model can take in its context.</summary>
    public long MaxRequestBytes { get; set; } = 1 << 20;

    /// <summary>Web origins (e.g. <c>https://app.example.com</c>) whose pages may call the API from a browser. Defaults to
    /// none: a request carrying any other page's <c>Origin</c> is refused, so a site the user happens to open cannot
    /// spend their GPU or read their models.</summary>
    public string[] AllowedOrigins { get; set; } = [];
}
