using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace StyleStudio.Tests.Support;

/// <summary>
/// Waiting for a page to reach a URL after the studio navigated it (Blazor's client-side navigation). Not
/// <c>IPage.WaitForURLAsync</c>: it reads the URL the client last heard of and, when that does not match yet, waits for
/// the next navigation event — one that arrives in between is missed and the wait runs to its timeout although the page
/// is already there (a training-form test failed so in CI: the run page was open, and its run had finished, when the
/// wait gave up). The assertion polls the page's URL instead.
/// </summary>
static class PageUrl
{
    /// <param name="glob">Playwright's URL glob: <c>**</c> any characters, <c>*</c> any but '/', everything else literal
    /// (including '?').</param>
    public static Task ExpectAsync(IPage page, string glob, float? timeout = null) =>
        Assertions.Expect(page).ToHaveURLAsync(Pattern(glob), new() { Timeout = timeout ?? 20_000 });   // the pages' default (StudioServer)

    static Regex Pattern(string glob)
    {
        var pattern = new StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*') { pattern.Append(".*"); i++; }
            else if (glob[i] == '*') pattern.Append("[^/]*");
            else pattern.Append(Regex.Escape(glob[i].ToString()));
        }
        return new Regex(pattern.Append('$').ToString());
    }
}
