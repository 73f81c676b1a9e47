using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace StyleStudio.Data.Corpora;

/// <summary>
/// Markdown (.md) parsed by Markdig (CommonMark, pipe tables, YAML front matter) and reduced to its prose: one paragraph
/// per heading, paragraph, list item paragraph, block quote paragraph and table cell, with the syntax gone (heading
/// markers, emphasis, list markers; links become their text; inline code keeps its text). Code blocks, raw HTML, images,
/// front matter and rules are dropped: they are not prose in the writer's style and would teach a style model code.
/// </summary>
static class MarkdownReader
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseGridTables().UseYamlFrontMatter().Build();

    public static IEnumerable<string> Paragraphs(string path, string? encoding)
    {
        var document = Markdown.Parse(string.Join('\n', PlainTextReader.AllLines(path, encoding)), Pipeline);
        return Blocks(document).Select(block => Scripts.JoinLines(Text(block).Split('\n'))).Where(t => t.Length > 0).ToList();
    }

    /// <summary>The blocks that carry prose, in document order.</summary>
    static IEnumerable<LeafBlock> Blocks(ContainerBlock container)
    {
        foreach (var block in container)
            switch (block)
            {
                case HeadingBlock or ParagraphBlock:
                    yield return (LeafBlock)block;
                    break;
                case ContainerBlock inner:   // lists, list items, quotes, tables, rows, cells
                    foreach (var leaf in Blocks(inner)) yield return leaf;
                    break;
                // Code (fenced, indented, front matter), HTML and thematic breaks: not prose.
            }
    }

    static string Text(LeafBlock block)
    {
        var text = new StringBuilder();
        if (block.Inline is { } inline) Append(inline, text);
        return text.ToString();
    }

    static void Append(Inline inline, StringBuilder text)
    {
        switch (inline)
        {
            case LiteralInline literal:
                text.Append(literal.Content.ToString());
                break;
            case CodeInline code:
                text.Append(code.Content);
                break;
            case LineBreakInline:
                text.Append('\n');
                break;
            case HtmlEntityInline entity:
                text.Append(entity.Transcoded.ToString());
                break;
            case AutolinkInline autolink:
                text.Append(autolink.Url);
                break;
            case LinkInline { IsImage: true }:
                break;
            case ContainerInline container:   // emphasis, links (their text), the paragraph itself
                foreach (var child in container) Append(child, text);
                break;
            // Raw HTML inlines are markup, not text.
        }
    }
}
