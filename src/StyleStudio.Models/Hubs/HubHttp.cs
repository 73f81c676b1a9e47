using System.Net;
using System.Net.Http.Headers;

namespace StyleStudio.Models.Hubs;

/// <summary>
/// HTTP to one hub: follows redirects itself (relative ones for renamed repositories, absolute ones to the CDN) so that
/// the token goes only to the hub's own host — never to a CDN or anyone a redirect points at — and turns error answers
/// into a <see cref="HubException"/> that says which of not found, gated or revision not found it was.
/// </summary>
public sealed class HubHttp(HttpClient client, Uri endpoint, string? token)
{
    const int MaxRedirects = 10;

    public Uri Endpoint { get; } = endpoint;

    /// <summary>An <see cref="HttpClient"/> that leaves redirects to <see cref="HubHttp"/>.</summary>
    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,   // sizes and ranges are of the bytes on the wire
        ConnectTimeout = TimeSpan.FromSeconds(30),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,   // large files; stalls are caught by the read timeout of the downloader
        DefaultRequestHeaders = { UserAgent = { new ProductInfoHeaderValue("StyleStudio", "1.0") } },
    };

    /// <summary>Sends <paramref name="method"/> to <paramref name="uri"/> and follows redirects; the response's headers have been read, its body not.
    /// Error statuses throw, described by <paramref name="what"/> (e.g. "repository acme/tiny").</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, string what, CancellationToken cancellation,
        Action<HttpRequestHeaders>? headers = null)
    {
        for (int redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (token is not null && SameOrigin(uri, Endpoint))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            headers?.Invoke(request.Headers);
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation);
            }
            catch (HttpRequestException e)
            {
                throw new HubException(HubError.Unavailable, $"cannot reach {uri.GetLeftPart(UriPartial.Authority)} ({e.Message})");
            }
            if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
            {
                var next = location.IsAbsoluteUri ? location : new Uri(uri, location);
                // Like huggingface_hub's metadata request: a HEAD stops at the CDN redirect, whose headers carry the file's size and hash.
                if (method == HttpMethod.Head && !SameOrigin(next, Endpoint)) return response;
                response.Dispose();
                if (redirects == MaxRedirects) throw new HubException(HubError.Invalid, $"{what}: more than {MaxRedirects} redirects from {uri}");
                uri = next;
                continue;
            }
            if (response.IsSuccessStatusCode) return response;
            using (response) throw await ErrorAsync(response, what);
        }
    }

    /// <summary>GETs JSON from the hub's API.</summary>
    public async Task<Stream> GetJsonAsync(Uri uri, string what, CancellationToken cancellation)
    {
        var response = await SendAsync(HttpMethod.Get, uri, what, cancellation,
            h => h.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json")));
        var body = new MemoryStream();
        using (response) await response.Content.CopyToAsync(body, cancellation);
        body.Position = 0;
        return body;
    }

    static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    /// <summary>The hub's own error codes, as huggingface_hub reads them (<c>X-Error-Code</c>, <c>X-Error-Message</c>).</summary>
    async Task<HubException> ErrorAsync(HttpResponseMessage response, string what)
    {
        int status = (int)response.StatusCode;
        string? code = Header(response, "X-Error-Code");
        string? message = Header(response, "X-Error-Message");
        if (message is null)
        {
            string body = await response.Content.ReadAsStringAsync();
            message = body.Length is > 0 and < 500 && !body.TrimStart().StartsWith('<') ? body.Trim() : null;
        }
        string detail = message is null ? $"(HTTP {status})" : $"(HTTP {status}: {message})";
        string tokenHint = token is null ? "pass an access token (--token, or HF_TOKEN)" : "check that your token has access to it";
        return code switch
        {
            "RepoNotFound" => new(HubError.RepositoryNotFound,
                $"{what}: repository not found on {Endpoint.Host} — check the id (and, for a private repository, {tokenHint}) {detail}", status, code),
            "GatedRepo" => new(HubError.Gated,
                $"{what}: this repository is gated — accept its conditions on its page at {Endpoint.GetLeftPart(UriPartial.Authority)} and {tokenHint} {detail}", status, code),
            "RevisionNotFound" => new(HubError.RevisionNotFound, $"{what}: revision not found — check --revision (a branch, tag or commit) {detail}", status, code),
            "EntryNotFound" => new(HubError.EntryNotFound, $"{what}: file not found in the repository at this revision {detail}", status, code),
            _ when status == 401 && token is null => new(HubError.RepositoryNotFound,
                $"{what}: repository not found or not accessible without a token — check the id, or {tokenHint} {detail}", status, code),
            _ when status == 401 => new(HubError.Unauthorized, $"{what}: the token was refused {detail}", status, code),
            _ when status == 403 => new(HubError.Gated, $"{what}: access denied — {tokenHint} {detail}", status, code),
            _ when status == 404 => new(HubError.RepositoryNotFound, $"{what}: not found on {Endpoint.Host} — check the repository id and the revision {detail}", status, code),
            _ => new(HubError.Unavailable, $"{what}: {Endpoint.Host} answered {detail}", status, code),
        };
    }

    static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
