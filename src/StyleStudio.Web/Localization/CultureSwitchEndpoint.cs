using Microsoft.AspNetCore.Localization;

namespace StyleStudio.Web.Localization;

/// <summary>The app bar's language switch: remembers the choice in the culture cookie and returns to the page.</summary>
public static class CultureSwitchEndpoint
{
    public const string Path = "/culture";

    /// <summary>The address that switches to <paramref name="culture"/> and comes back to <paramref name="returnUrl"/>.</summary>
    public static string Link(string culture, string returnUrl) =>
        $"{Path}?name={Uri.EscapeDataString(culture)}&returnUrl={Uri.EscapeDataString(returnUrl)}";

    public static IEndpointConventionBuilder MapCultureSwitch(this WebApplication app) =>
        app.MapGet(Path, (string name, string? returnUrl, HttpContext http) =>
        {
            if (!StudioCultures.Names.Contains(name)) return Results.BadRequest($"Unknown language '{name}'; the studio speaks {string.Join(", ", StudioCultures.Names)}.");
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(name)),
                new CookieOptions { Expires = DateTimeOffset.UtcNow.AddYears(1), IsEssential = true, SameSite = SameSiteMode.Lax, HttpOnly = true });
            return Results.LocalRedirect(LocalReturnUrl.OrRoot(returnUrl));
        });
}
