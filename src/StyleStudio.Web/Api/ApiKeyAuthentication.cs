using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace StyleStudio.Web.Api;

/// <summary>
/// <see cref="ApiAccess"/> as an ASP.NET Core authentication scheme, for endpoints the /v1 filter does not reach (the
/// training hub): admitted callers are signed in under their key's name; the rest get the API's own 401 (with
/// <c>WWW-Authenticate: Bearer</c>) or 403 and its message. The key may also come as <c>access_token</c> in the query,
/// as SignalR clients send it over WebSockets.
/// </summary>
sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiAccess access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "StudioApiKey";

    /// <summary>The authorization policy that requires an admitted API caller.</summary>
    public const string Policy = "StudioApiCaller";

    ApiAdmission Admission() => access.Admit(ApiAccess.PresentedKey(Request, orAccessToken: true), Context.Connection.RemoteIpAddress);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var admission = Admission();
        return Task.FromResult(admission is ApiAdmission.Admitted { Caller: var caller }
            ? AuthenticateResult.Success(new AuthenticationTicket(
                new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, caller.Name)], SchemeName)), SchemeName))
            : AuthenticateResult.Fail(((ApiAdmission.Refused)admission).Message));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var refused = Admission() as ApiAdmission.Refused
            ?? new ApiAdmission.Refused(401, ApiAccess.InvalidKey, "this endpoint requires an API key");
        if (refused.Status == 401) Response.Headers.WWWAuthenticate = "Bearer";
        return ApiErrors.Write(Context, refused.Status, refused.Message, null, refused.Code);
    }
}
