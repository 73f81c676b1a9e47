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

    /// <summary>With no <c>Studio:ApiKeys</c>, whether clients on other machines may use the API (and the training hub).
    /// Defaults to false: a studio without keys answers clients on this machine only.</summary>
    public bool AllowRemoteWithoutKey { get; set; }

    /// <summary>Generations (POST requests) one key — or, without keys, one client address — may run at once; a key's own
    /// <c>MaxConcurrent</c> overrides it. Defaults to 8.</summary>
    public int MaxConcurrent { get; set; } = 8;

    /// <summary>Generations one key or client may have waiting for a slot; beyond that a request gets 429 at once. A key's
    /// own <c>MaxQueued</c> overrides it. Defaults to 16.</summary>
    public int MaxQueued { get; set; } = 16;
}
