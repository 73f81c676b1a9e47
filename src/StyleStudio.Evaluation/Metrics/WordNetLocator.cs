namespace StyleStudio.Evaluation.Metrics;

/// <summary>No WordNet dictionary files where the studio looked; the message names the places and how to install them.</summary>
public sealed class WordNetNotFoundException(string message) : Exception(message);

/// <summary>
/// Finds the WordNet 3.0 dictionary files METEOR's synonym stage needs. A configured folder (a setting, else
/// $STYLESTUDIO_WORDNET) is the only place tried when given, so a wrong setting fails instead of silently using another
/// copy; otherwise Debian's wordnet-base (/usr/share/wordnet) and then the folders NLTK searches for its nltk_data
/// (corpora/wordnet, unzipped or as NLTK's wordnet.zip). A folder counts when it holds data.noun.
/// </summary>
public static class WordNetLocator
{
    public const string EnvironmentVariable = "STYLESTUDIO_WORDNET";

    public const string InstallHint =
        "Install WordNet 3.0 with `apt-get install wordnet-base` (Debian/Ubuntu, into /usr/share/wordnet), or unzip NLTK's "
        + "copy (`python3 -m nltk.downloader wordnet`) to ~/nltk_data/corpora/wordnet, or set " + EnvironmentVariable
        + " to a folder holding index.*, data.* and *.exc.";

    /// <summary>Where WordNet is looked for when no folder is configured, in order.</summary>
    public static IReadOnlyList<string> DefaultPlaces()
    {
        var nltkData = new List<string>();
        // NLTK's own search path: $NLTK_DATA, the home folder, then the system-wide folders it lists.
        if (Environment.GetEnvironmentVariable("NLTK_DATA") is { Length: > 0 } fromEnvironment)
            nltkData.AddRange(fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0) nltkData.Add(Path.Combine(home, "nltk_data"));
        if (OperatingSystem.IsWindows())
        {
            nltkData.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "nltk_data"));
            nltkData.AddRange([@"C:\nltk_data", @"D:\nltk_data", @"E:\nltk_data"]);
        }
        else
            nltkData.AddRange(["/usr/share/nltk_data", "/usr/local/share/nltk_data", "/usr/lib/nltk_data",
                "/usr/local/lib/nltk_data"]);
        return ["/usr/share/wordnet", .. nltkData.Select(d => Path.Combine(d, "corpora", "wordnet"))];
    }

    /// <summary>The WordNet folder: <paramref name="configured"/>, else $STYLESTUDIO_WORDNET, else the first default place holding it.</summary>
    public static string Find(string? configured = null) =>
        Find(configured is { Length: > 0 } ? configured : Environment.GetEnvironmentVariable(EnvironmentVariable),
            DefaultPlaces());

    /// <summary>As <see cref="Find(string?)"/> with an explicit list of places to try when nothing is configured.</summary>
    public static string Find(string? configured, IReadOnlyList<string> places)
    {
        if (configured is { Length: > 0 })
        {
            if (HoldsWordNet(configured)) return configured;
            throw new WordNetNotFoundException(
                $"METEOR needs WordNet, and the configured folder {configured} (a setting or {EnvironmentVariable}) holds no "
                + $"WordNet dictionary files (data.noun). {InstallHint}");
        }
        foreach (string place in places)
            if (HoldsWordNet(place)) return place;
        throw new WordNetNotFoundException(
            $"METEOR needs WordNet and found none; looked in {EnvironmentVariable} (unset) and {string.Join(", ", places)}. "
            + InstallHint);
    }

    // A folder with the files, NLTK's zip beside where it would unzip (corpora/wordnet.zip), or that zip itself.
    static bool HoldsWordNet(string place) =>
        File.Exists(Path.Combine(place, "data.noun")) || File.Exists(place + ".zip")
        || (place.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) && File.Exists(place));
}
