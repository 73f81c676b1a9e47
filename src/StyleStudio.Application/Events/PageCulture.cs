using System.Globalization;

namespace StyleStudio.Application.Events;

/// <summary>
/// Keeps a page's language for updates that other circuits cause. A notifier calls its subscribers on the thread of
/// whoever made the change, and a component's InvokeAsync runs the callback (and the render it asks for) right there
/// when the page is idle — in that thread's culture. Without this, an annotator working in Chinese would turn an English
/// reviewer's page Chinese with every submission. Every notifier wraps its subscribers in this when they subscribe.
/// </summary>
public static class PageCulture
{
    /// <summary><paramref name="handler"/>, run in the cultures current when this is called (the page's, when called as it subscribes).</summary>
    public static Action<T> Keep<T>(Action<T> handler)
    {
        var (culture, uiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        return value =>
        {
            var (callerCulture, callerUiCulture) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, uiCulture);
            try
            {
                handler(value);
            }
            finally
            {
                (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (callerCulture, callerUiCulture);
            }
        };
    }
}
