using Hangfire.Dashboard;
using Microsoft.AspNetCore.Diagnostics;

namespace StyleStudio.Web.Api;

/// <summary>Who may open the Hangfire dashboard at <c>/hangfire</c>: see <see cref="ApiAccess.AllowsDashboard"/>.</summary>
sealed class DashboardAccessFilter(ApiAccess access) : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var http = context.GetHttpContext();
        if (access.AllowsDashboard(ApiAccess.PresentedKey(http.Request), http.Connection.RemoteIpAddress)) return true;
        // Hangfire answers a bare 401; the studio's status-code page must not turn it into its "not found" page.
        if (http.Features.Get<IStatusCodePagesFeature>() is { } pages) pages.Enabled = false;
        if (access.KeysRequired) http.Response.Headers.WWWAuthenticate = "Bearer";
        return false;
    }
}
