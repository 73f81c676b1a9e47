namespace StyleStudio.Tests.Support;

/// <summary>
/// Command lines as README.md gives them, for tests that type what a user types. The tests that run them share one
/// collection: each `dotnet run` builds its project first, and two builds of one project at once collide.
/// </summary>
static class ReadmeCommands
{
    public const string Collection = "README commands";

    /// <summary>The first line of README.md starting with <paramref name="start"/>, without its trailing comment.</summary>
    public static string Line(string root, string start)
    {
        var line = Lines(root, start).FirstOrDefault();
        Assert.True(line is not null, $"README.md has no line starting with '{start}'");
        return line;
    }

    /// <summary>Every line of README.md starting with <paramref name="start"/>, without trailing comments, in order.</summary>
    public static IReadOnlyList<string> Lines(string root, string start) =>
        File.ReadLines(Path.Combine(root, "README.md")).Where(l => l.StartsWith(start, StringComparison.Ordinal))
            .Select(l => l.Split(" #")[0].Trim()).ToList();
}

[CollectionDefinition(ReadmeCommands.Collection)]
public sealed class ReadmeCommandsCollection;
