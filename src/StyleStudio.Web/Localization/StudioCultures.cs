using System.Globalization;
using Microsoft.AspNetCore.Localization;
using Microsoft.Net.Http.Headers;

namespace StyleStudio.Web.Localization;

/// <summary>
/// The studio's two languages and how a request picks one: the switch's cookie first, then the browser's languages.
/// Page text lives in <c>Resources/&lt;component path&gt;.zh-CN.resx</c>; the English text is the key itself, so an
/// English page needs no resource file and a Chinese one lacking a key shows English (the tests catch that).
/// </summary>
public static class StudioCultures
{
    public const string English = "en";
    public const string Chinese = "zh-CN";
    public static readonly IReadOnlyList<string> Names = [English, Chinese];

    /// <summary>The request-localization settings the app uses: cookie, then Accept-Language; English by default.</summary>
    public static RequestLocalizationOptions Options()
    {
        var cultures = Names.Select(name => new CultureInfo(name)).ToList();
        return new RequestLocalizationOptions
        {
            DefaultRequestCulture = new RequestCulture(English),
            SupportedCultures = cultures,
            SupportedUICultures = cultures,
            RequestCultureProviders = [new CookieRequestCultureProvider(), new BrowserLanguageProvider()],
        };
    }

    /// <summary>The supported culture a browser language tag stands for, or null (any Chinese variant reads zh-CN best).</summary>
    public static string? Match(string tag) =>
        tag.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? Chinese
        : tag.StartsWith("en", StringComparison.OrdinalIgnoreCase) ? English
        : null;

    /// <summary>
    /// Accept-Language in the browser's order of preference. Written here because the framework's provider matches only a
    /// supported name or its parents, so zh, zh-Hans, zh-TW and zh-SG browsers would get English pages.
    /// </summary>
    sealed class BrowserLanguageProvider : RequestCultureProvider
    {
        public override Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext http)
        {
            var languages = http.Request.GetTypedHeaders().AcceptLanguage;
            var chosen = languages
                .Where(language => language.Quality is not 0)
                .OrderByDescending(language => language.Quality ?? 1)
                .Select(language => Match(language.Value.Value ?? ""))
                .FirstOrDefault(name => name is not null);
            return Task.FromResult(chosen is null ? null : new ProviderCultureResult(chosen));
        }
    }
}
