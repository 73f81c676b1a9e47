using System.Text.RegularExpressions;
using System.Xml.Linq;
using StyleStudio.Tests.Support;

namespace StyleStudio.Tests.Web;

/// <summary>
/// Every string a component passes to its localizer (<c>L["English"]</c>) has a Chinese translation in that component's
/// resource file, with the same placeholders: a missing key would show English on a Chinese page.
/// </summary>
public partial class LocalizationResourceTests
{
    static readonly string WebProject = Path.Combine(Fixtures.RepositoryRoot(), "src", "StyleStudio.Web");

    [Fact]
    public void Every_localized_string_in_the_web_project_has_a_Chinese_translation_with_the_same_placeholders()
    {
        var problems = new List<string>();
        var sources = Directory.EnumerateFiles(WebProject, "*.*", SearchOption.AllDirectories)
            .Where(path => (path.EndsWith(".razor") || path.EndsWith(".cs")) && !IsBuildOutput(path));
        int checkedKeys = 0;
        foreach (var source in sources)
        {
            var keys = LocalizedLiteral().Matches(File.ReadAllText(source)).Select(match => Regex.Unescape(match.Groups[1].Value)).Distinct().ToList();
            if (keys.Count == 0) continue;
            var resx = ResourceFileFor(source);
            var translations = File.Exists(resx) ? Read(resx) : [];
            foreach (var key in keys)
            {
                checkedKeys++;
                if (!translations.TryGetValue(key, out var chinese)) problems.Add($"{Relative(source)}: \"{key}\" missing from {Relative(resx)}");
                else if (!Placeholders(key).SetEquals(Placeholders(chinese)))
                    problems.Add($"{Relative(resx)}: \"{key}\" → \"{chinese}\" has other placeholders");
                else if (string.IsNullOrWhiteSpace(chinese)) problems.Add($"{Relative(resx)}: \"{key}\" has an empty translation");
            }
        }
        Assert.True(checkedKeys > 20, $"only {checkedKeys} localized strings found: is the pattern still L[\"...\"]?");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_Chinese_resource_file_belongs_to_a_component_or_type_of_the_web_project()
    {
        var resources = Path.Combine(WebProject, "Resources");
        var orphans = Directory.EnumerateFiles(resources, "*.zh-CN.resx", SearchOption.AllDirectories)
            .Where(resx =>
            {
                var relative = Path.GetRelativePath(resources, resx);
                var stem = Path.Combine(WebProject, relative[..^".zh-CN.resx".Length]);
                return !File.Exists(stem + ".razor") && !File.Exists(stem + ".cs");
            })
            .Select(Relative).ToList();
        Assert.True(orphans.Count == 0, "resource files without a component: " + string.Join(", ", orphans));
    }

    /// <summary>Resources/&lt;folder&gt;/&lt;Type&gt;.zh-CN.resx for a component (X.razor, X.razor.cs) or a type (X.cs).</summary>
    static string ResourceFileFor(string source)
    {
        var relative = Path.GetRelativePath(WebProject, source);
        var name = Path.GetFileName(relative);
        var type = name.EndsWith(".razor.cs") ? name[..^".razor.cs".Length] : name.EndsWith(".razor") ? name[..^".razor".Length] : name[..^".cs".Length];
        return Path.Combine(WebProject, "Resources", Path.GetDirectoryName(relative) ?? "", type + ".zh-CN.resx");
    }

    static Dictionary<string, string> Read(string resx) =>
        XDocument.Load(resx).Root!.Elements("data").ToDictionary(data => (string)data.Attribute("name")!, data => (string?)data.Element("value") ?? "");

    static HashSet<string> Placeholders(string text) => [.. Placeholder().Matches(text).Select(match => match.Groups[1].Value)];

    static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") || path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}");

    static string Relative(string path) => Path.GetRelativePath(Fixtures.RepositoryRoot(), path);

    [GeneratedRegex(@"\bL\[\s*""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LocalizedLiteral();

    [GeneratedRegex(@"\{(\d+)(?::[^}]*)?\}")]
    private static partial Regex Placeholder();
}
