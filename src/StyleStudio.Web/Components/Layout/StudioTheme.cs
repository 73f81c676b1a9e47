using MudBlazor;

namespace StyleStudio.Web.Components.Layout;

/// <summary>
/// The studio's theme: MudBlazor's, with the studio's own Chinese font (wwwroot/fonts, a subset of Noto Sans CJK SC) after
/// the Latin ones, so Chinese renders on machines without CJK fonts and the studio needs no font CDN.
/// </summary>
static class StudioTheme
{
    public static readonly string[] FontFamily = ["Roboto", "Helvetica", "Arial", "Studio CJK", "Noto Sans CJK SC", "sans-serif"];

    public static readonly MudTheme Value = new()
    {
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = FontFamily },
        },
    };
}
