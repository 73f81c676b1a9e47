using System.Globalization;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;

namespace StyleStudio.Web.Login;

/// <summary>
/// The sign-in page (plain HTML, so it works before any circuit exists and with the pages locked), the form post that
/// checks the password and sets the cookie, and sign-out. Also the gate that keeps a studio without a password to
/// this machine.
/// </summary>
public static class LoginEndpoints
{
    public static void MapStudioLogin(this WebApplication app)
    {
        var login = app.Services.GetRequiredService<StudioLogin>();
        app.MapGet(StudioLogin.Path, (HttpContext http, IAntiforgery antiforgery, string? returnUrl, string? failed) =>
            Results.Content(Page(Localizer(http), antiforgery.GetAndStoreTokens(http), LocalReturnUrl.OrRoot(returnUrl), failed is not null, login.Required),
                "text/html; charset=utf-8"));
        app.MapPost(StudioLogin.Path, async (HttpContext http, [FromForm] string? user, [FromForm] string? password, [FromForm] string? returnUrl) =>
        {
            if (!login.Verify(user ?? "", password ?? ""))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500));   // slows guessing; the hash itself is deliberately slow too
                return Results.Redirect($"{StudioLogin.Path}?failed=1&returnUrl={WebUtility.UrlEncode(LocalReturnUrl.OrRoot(returnUrl))}");
            }
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, login.User)], StudioLogin.Scheme);
            await http.SignInAsync(StudioLogin.Scheme, new ClaimsPrincipal(identity));
            return Results.LocalRedirect(LocalReturnUrl.OrRoot(returnUrl));
        });
        app.MapPost("/logout", async (HttpContext http) =>
        {
            if (login.Required) await http.SignOutAsync(StudioLogin.Scheme);
            return Results.Redirect(StudioLogin.Path);
        });
    }

    /// <summary>Without a password, pages (not the API and hub, which admit by key) answer this machine only.</summary>
    public static void UseLocalOnlyPages(this WebApplication app)
    {
        var login = app.Services.GetRequiredService<StudioLogin>();
        app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            // With a password the sign-in decides; the APIs (and their OpenAPI description) and the hub admit by key.
            if (login.Required || path.StartsWithSegments("/v1") || path.StartsWithSegments(Api.Studio.StudioApi.Prefix) || path.StartsWithSegments("/openapi")
                || path.StartsWithSegments("/hubs") || login.AdmitsWithoutLogin(http.Connection.RemoteIpAddress))
            {
                await next(http);
                return;
            }
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            http.Response.ContentType = "text/plain; charset=utf-8";
            var L = Localizer(http);
            await http.Response.WriteAsync(L["This StyleStudio answers its own machine only: no sign-in is configured. Set {0} (make one with {1}) to serve other machines with a sign-in.",
                "Studio:Login:PasswordHash", "`stylestudio password-hash`"]);
        });
    }

    /// <summary>The sign-in texts in the request's language. A static class cannot be a type argument, so the localizer
    /// comes from the factory; it reads Resources/Login/LoginEndpoints.zh-CN.resx all the same.</summary>
    static IStringLocalizer Localizer(HttpContext http) =>
        http.RequestServices.GetRequiredService<IStringLocalizerFactory>().Create(typeof(LoginEndpoints));

    /// <summary>The page, every text and value HTML-encoded (the localizer's too: a translation is text, not markup).</summary>
    static string Page(IStringLocalizer L, AntiforgeryTokenSet tokens, string returnUrl, bool failed, bool required)
    {
        static string Html(string? text) => WebUtility.HtmlEncode(text) ?? "";
        return $$"""
        <!DOCTYPE html>
        <html lang="{{Html(CultureInfo.CurrentUICulture.Name)}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{Html(L["Sign in"])}} · StyleStudio</title><link rel="icon" href="/favicon.svg" type="image/svg+xml">
        <style>
          body { font-family: "Noto Sans CJK SC", Roboto, system-ui, sans-serif; background: #f5f5f5; display: grid; place-items: center; min-height: 100vh; margin: 0; }
          form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.2); width: 20rem; display: grid; gap: .8rem; }
          h1 { font-size: 1.4rem; margin: 0 0 .5rem; } input { padding: .6rem; font-size: 1rem; }
          button { padding: .6rem; font-size: 1rem; background: #594ae2; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
          .error { color: #c62828; }
        </style></head>
        <body><form method="post" action="{{Html(StudioLogin.Path)}}" id="login">
          <h1>StyleStudio</h1>
          {{(required ? "" : $"<p>{Html(L["No sign-in is configured: this studio answers its own machine only."])}</p>")}}
          {{(failed ? $"<p class=\"error\" id=\"login-error\">{Html(L["Wrong user name or password."])}</p>" : "")}}
          <input type="hidden" name="{{Html(tokens.FormFieldName)}}" value="{{Html(tokens.RequestToken)}}">
          <input type="hidden" name="returnUrl" value="{{Html(returnUrl)}}">
          <label>{{Html(L["User"])}} <input name="user" autocomplete="username" required></label>
          <label>{{Html(L["Password"])}} <input name="password" type="password" autocomplete="current-password" required></label>
          <button type="submit">{{Html(L["Sign in"])}}</button>
        </form></body></html>
        """;
    }
}
