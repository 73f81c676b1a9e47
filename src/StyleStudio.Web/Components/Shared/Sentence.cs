using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Localization;

namespace StyleStudio.Web.Components.Shared;

/// <summary>
/// A translated sentence with markup in its placeholders (a name kept untranslated, a link, a path in code), placed where
/// the translation puts them: Chinese often orders a sentence's parts differently from English, so the sentence cannot
/// be cut into separately translated pieces around the markup.
/// </summary>
public static partial class Sentence
{
    /// <summary>
    /// Renders <paramref name="template"/> (the localizer's string for, e.g., "Imported {0} rows into {1}", asked for
    /// without arguments) with each <c>{n}</c> replaced by <paramref name="parts"/>[n]: a <see cref="RenderFragment"/> as
    /// markup, anything else as text.
    /// </summary>
    public static RenderFragment Compose(LocalizedString template, params object?[] parts) => builder =>
    {
        int at = 0;
        foreach (Match placeholder in Placeholder().Matches(template.Value))
        {
            builder.AddContent(0, template.Value[at..placeholder.Index]);
            var part = parts[int.Parse(placeholder.Groups[1].Value)];
            if (part is RenderFragment markup) builder.AddContent(1, markup);
            else builder.AddContent(2, part?.ToString());
            at = placeholder.Index + placeholder.Length;
        }
        builder.AddContent(3, template.Value[at..]);
    };

    /// <summary>
    /// User data or lower-layer text (a dataset name, a file path, a parser's message) in an element marked
    /// <c>translate="no"</c>, which the untranslated-text check and browser translators leave alone.
    /// </summary>
    public static RenderFragment Untranslated(string? text, string element = "span") => builder =>
    {
        builder.OpenElement(0, element);
        builder.AddAttribute(1, "translate", "no");
        builder.AddContent(2, text);
        builder.CloseElement();
    };

    [GeneratedRegex(@"\{(\d+)\}")]
    private static partial Regex Placeholder();
}
