using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Playwright;

namespace StyleStudio.Tests.Support;

/// <summary>
/// What the language tests look for on a page: English words of the studio's own interface showing on a Chinese page
/// (a string never passed through the localizer, or a key its zh-CN resource file lacks), and Chinese characters the
/// page's fonts cannot draw. User data, names and code sit in elements marked <c>translate="no"</c> and are skipped.
/// </summary>
static partial class PageLanguage
{
    public const string Chinese = "zh-CN";

    /// <summary>Latin words some Chinese translation keeps as they are (LoRA, JSON, token, …).</summary>
    public static readonly Lazy<IReadOnlySet<string>> KeptInChinese = new(() =>
        new HashSet<string>(Translations().SelectMany(t => Words(t.Value)), StringComparer.OrdinalIgnoreCase));

    /// <summary>Words of the English interface: every word of every resource key that no Chinese translation also uses
    /// (so LoRA, BLEU or JSON, kept in Latin letters in Chinese text, are not counted).</summary>
    public static readonly Lazy<IReadOnlySet<string>> EnglishInterfaceWords = new(() =>
    {
        var english = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, _) in Translations()) english.UnionWith(Words(Regex.Replace(key, @"\{\d+(:[^}]*)?\}", " ")));
        english.ExceptWith(KeptInChinese.Value);
        return english;
    });

    /// <summary>
    /// Whether a word on a Chinese page is English interface text: a word of the English interface, or a lowercase word
    /// no translation keeps — interface text never passed through the localizer has no resource key to be found by
    /// (names, data and code are capitalised or marked translate="no").
    /// </summary>
    static bool IsEnglishInterface(string word) =>
        EnglishInterfaceWords.Value.Contains(word) || (char.IsLower(word[0]) && !KeptInChinese.Value.Contains(word));

    /// <summary>Every key and zh-CN value of the web project's resource files.</summary>
    public static IEnumerable<(string Key, string Value)> Translations() =>
        Directory.EnumerateFiles(Path.Combine(Fixtures.RepositoryRoot(), "src"), "*.zh-CN.resx", SearchOption.AllDirectories)
            .SelectMany(path => XDocument.Load(path).Root!.Elements("data")
                .Select(data => ((string)data.Attribute("name")!, (string?)data.Element("value") ?? "")));

    static IEnumerable<string> Words(string text) => LatinWord().Matches(text).Select(match => match.Value);

    /// <summary>The visible text of the page outside <c>translate="no"</c> elements.</summary>
    public static Task<string> VisibleInterfaceTextAsync(IPage page) => page.EvaluateAsync<string>("""
        () => {
          const parts = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const element = node.parentElement;
            if (!element || element.closest('[translate="no"], script, style, #blazor-error-ui, #language-switch')) continue;
            if (!element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
            parts.push(node.textContent);
          }
          for (const input of document.querySelectorAll('input[placeholder], textarea[placeholder]'))
            if (!input.closest('[translate="no"]') && input.checkVisibility()) parts.push(input.placeholder);
          return parts.join(' ');
        }
        """);

    /// <summary>English interface words on the page (each with a little surrounding text), empty when all is translated.</summary>
    public static async Task<IReadOnlyList<string>> UntranslatedAsync(IPage page)
    {
        var text = Regex.Replace(await VisibleInterfaceTextAsync(page), @"\s+", " ");
        return LatinWord().Matches(text)
            .Where(match => IsEnglishInterface(match.Value))
            .Select(match => $"'{match.Value}' in \"…{text.Substring(Math.Max(0, match.Index - 30), Math.Min(text.Length - Math.Max(0, match.Index - 30), match.Length + 60))}…\"")
            .Distinct()
            .ToList();
    }

    /// <summary>Fails with the untranslated words of <paramref name="page"/>, naming the page.</summary>
    public static async Task AssertTranslatedAsync(IPage page)
    {
        Assert.Equal(Chinese, await page.Locator("html").GetAttributeAsync("lang"));
        var untranslated = await UntranslatedAsync(page);
        Assert.True(untranslated.Count == 0, $"{page.Url} shows English interface text in Chinese:\n  " + string.Join("\n  ", untranslated));
    }

    /// <summary>
    /// The Chinese characters of the page that its fonts cannot draw: each is drawn on a canvas in the page's font and
    /// compared with a character no font has (U+10FFFD), which every browser draws as the same missing-glyph box.
    /// </summary>
    public static Task<string[]> UndrawableCharactersAsync(IPage page, string? extra = null) => page.EvaluateAsync<string[]>("""
        async (extra) => {
          await document.fonts.ready;
          const text = document.body.innerText + (extra ?? '');
          const chars = [...new Set([...text].filter(ch => /[\u3400-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}]/u.test(ch)))];
          const family = getComputedStyle(document.querySelector('.mud-typography') ?? document.body).fontFamily;
          await Promise.all(chars.map(ch => document.fonts.load(`32px ${family}`, ch)));
          const canvas = document.createElement('canvas');
          canvas.width = canvas.height = 48;
          const context = canvas.getContext('2d', { willReadFrequently: true });
          const draw = ch => {
            context.clearRect(0, 0, 48, 48);
            context.font = `32px ${family}`;
            context.fillText(ch, 4, 38);
            return context.getImageData(0, 0, 48, 48).data.join(',');
          };
          const missing = draw('\u{10FFFD}');
          return chars.filter(ch => draw(ch) === missing);
        }
        """, extra);

    [GeneratedRegex(@"\b[A-Za-z][a-z]{2,}\b")]
    private static partial Regex LatinWord();
}
