using System.Net;
using Microsoft.Extensions.Options;

namespace StyleStudio.Web.Api;

/// <summary>Whom an admitted request is counted against: a key, or, without keys, the client's address.</summary>
/// <param name="Partition">The concurrency partition: one per key, or one per client address.</param>
public sealed record ApiCaller(string Name, string Partition, int MaxConcurrent, int MaxQueued);

/// <summary>The answer to "may this client use the API?": admitted as a caller, or refused with a status and reason.</summary>
public abstract record ApiAdmission
{
    ApiAdmission() { }   // these two only

    public sealed record Admitted(ApiCaller Caller) : ApiAdmission;

    /// <param name="Code">OpenAI's error code: <c>invalid_api_key</c> for 401.</param>
    public sealed record Refused(int Status, string Code, string Message) : ApiAdmission;
}

/// <summary>
/// Who may use the API and the training hub. With keys configured: a request with one of them, from anywhere. Without:
/// clients on this machine only, unless <see cref="ApiOptions.AllowRemoteWithoutKey"/> — a studio started on a laptop
/// must not serve its GPU to the whole network just because nobody set a key. The decision takes the client's address
/// and the key it sent, not a request, so every case can be checked directly.
/// </summary>
public sealed class ApiAccess(ApiKeys keys, IOptions<ApiOptions> options)
{
    public const string InvalidKey = "invalid_api_key";

    public bool KeysRequired => keys.Required;

    /// <summary>Who the API answers, for the startup report.</summary>
    public string Summary =>
        keys.Required ? $"keys required ({keys.Count} configured)"
        : options.Value.AllowRemoteWithoutKey ? "no keys configured — answering every client without a key (Studio:Api:AllowRemoteWithoutKey)"
        : "no keys configured — answering local clients only (set Studio:ApiKeys, e.g. Studio__ApiKeys__0=KEY, to serve other machines)";

    /// <param name="presentedKey">The key the client sent (from <c>Authorization: Bearer</c>), or null.</param>
    /// <param name="remote">The client's address; null for a Unix socket or an in-process server (this machine).</param>
    public ApiAdmission Admit(string? presentedKey, IPAddress? remote)
    {
        var limits = options.Value;
        if (keys.Required)
        {
            if (string.IsNullOrEmpty(presentedKey))
                return new ApiAdmission.Refused(401, InvalidKey,
                    "this server requires an API key: send one of the keys configured in Studio:ApiKeys as 'Authorization: Bearer KEY'");
            if (keys.Find(presentedKey) is not { } key)
                return new ApiAdmission.Refused(401, InvalidKey, "the API key sent is not one of the keys configured in Studio:ApiKeys");
            return new ApiAdmission.Admitted(new ApiCaller(key.Name, "key:" + key.Name, key.MaxConcurrent, key.MaxQueued));
        }
        string address = remote is null ? "local" : Unmapped(remote).ToString();
        if (!IsLocal(remote) && !limits.AllowRemoteWithoutKey)
            return new ApiAdmission.Refused(403, "api_key_required",
                $"this server has no API keys, so it answers clients on its own machine only (this request came from {address}); " +
                "configure Studio:ApiKeys (e.g. the environment variable Studio__ApiKeys__0=KEY) and send 'Authorization: Bearer KEY', " +
                "or set Studio:Api:AllowRemoteWithoutKey=true to serve every client without a key");
        return new ApiAdmission.Admitted(new ApiCaller(address, "address:" + address, limits.MaxConcurrent, limits.MaxQueued));
    }

    /// <summary>
    /// The Hangfire dashboard (it can delete and requeue jobs): with keys configured, a valid key from anywhere — and only
    /// that, since behind a reverse proxy on this machine every request looks local; without keys, clients on this
    /// machine only, whatever <see cref="ApiOptions.AllowRemoteWithoutKey"/> says.
    /// </summary>
    public bool AllowsDashboard(string? presentedKey, IPAddress? remote) =>
        keys.Required ? !string.IsNullOrEmpty(presentedKey) && keys.Find(presentedKey) is not null : IsLocal(remote);

    /// <summary>Loopback (127.0.0.0/8, ::1, and IPv4 loopback written as IPv6), or no IP at all (a Unix socket).</summary>
    public static bool IsLocal(IPAddress? remote) => remote is null || IPAddress.IsLoopback(Unmapped(remote));

    static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>The key in <c>Authorization: Bearer KEY</c>, or null. <paramref name="orAccessToken"/> also takes the
    /// <c>access_token</c> query parameter, the one way a browser's SignalR client can send a key over WebSockets.</summary>
    public static string? PresentedKey(HttpRequest request, bool orAccessToken = false)
    {
        string? authorization = request.Headers.Authorization;
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return authorization["Bearer ".Length..].Trim();
        return orAccessToken ? request.Query["access_token"].FirstOrDefault() : null;
    }
}
