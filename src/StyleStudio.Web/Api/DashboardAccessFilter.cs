using Hangfire.Dashboard;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics;
using StyleStudio.Web.Login;

namespace StyleStudio.Web.Api;

/// <summary>
/// Who may open the Hangfire dashboard at <c>/hangfire</c>: with a studio password, the signed-in user or a valid API
/// key; without one, see <see cref="ApiAccess.AllowsDashboard"/>.
/// </summary>
sealed class DashboardAccessFilter(ApiAccess access, StudioLogin login) : IDashboardAsyncAuthorizationFilter
{
    public async Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (login.Required)
        {
            if ((await http.AuthenticateAsync(StudioLogin.Scheme)).Succeeded) return true;
            if (access.KeysRequired && access.AllowsDashboard(ApiAccess.PresentedKey(http.Request), http.Connection.RemoteIpAddress)) return true;
        }
        else if (access.AllowsDashboard(ApiAccess.PresentedKey(http.Request), http.Connection.RemoteIpAddress)) return true;
        // Hangfire answers a bare 401; the studio's status-code page must not turn it into its "not found" page.
        if (http.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        if (access.KeysRequired) http.Response.Headers.WWWAuthenticate = "Bearer";
        return false;
    }
}
