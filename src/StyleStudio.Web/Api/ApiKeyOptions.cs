using Microsoft.Extensions.Options;

namespace StyleStudio.Web.Api;

/// <summary>
/// The API keys, from <c>Studio:ApiKeys</c>: a list whose entries are either a key (<c>Studio:ApiKeys:0=sk-…</c>, or
/// <c>Studio__ApiKeys__0</c> in the environment) or an object <c>{ "Name", "Key", "MaxConcurrent", "MaxQueued" }</c>. A key
/// may be given as <c>sha256:HEX</c> (its SHA-256 in hex) so that a settings file need not hold the key itself.
/// </summary>
public sealed class ApiKeyOptions
{
    public const string Section = "Studio:ApiKeys";

    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>Reads both entry shapes. The configuration binder cannot: it binds an object or a string per list entry,
    /// not either. An entry with fields is an object (some configuration sources also give such an entry an empty value).</summary>
    public static void Read(IConfigurationSection section, ApiKeyOptions options)
    {
        // Studio__ApiKeys=KEY would otherwise read as no keys at all: an API open to this machine its owner thinks is locked.
        if (!string.IsNullOrEmpty(section.Value) && !section.GetChildren().Any())
            throw new InvalidOperationException($"{Section} is a list: set each key as {Section}:0, {Section}:1, … (in the environment: Studio__ApiKeys__0)");
        options.Keys = section.GetChildren().Select(entry => entry.GetChildren().Any()
            ? (entry.Get<ApiKeyEntry>() ?? new ApiKeyEntry()) with { Path = entry.Path }
            : new ApiKeyEntry { Key = entry.Value, Path = entry.Path }).ToList();
    }
}

/// <summary>One API key and the limits of the client holding it.</summary>
public sealed record ApiKeyEntry
{
    public const string HashPrefix = "sha256:";

    /// <summary>Shown in logs and errors instead of the key. Defaults to the entry's place, e.g. <c>key 0</c>.</summary>
    public string? Name { get; set; }

    /// <summary>The key clients send as <c>Authorization: Bearer KEY</c>, or <c>sha256:</c> and its SHA-256 in hex.</summary>
    public string? Key { get; set; }

    /// <summary>Generations this key may run at once. Defaults to <see cref="ApiOptions.MaxConcurrent"/>.</summary>
    public int? MaxConcurrent { get; set; }

    /// <summary>Generations this key may have waiting. Defaults to <see cref="ApiOptions.MaxQueued"/>.</summary>
    public int? MaxQueued { get; set; }

    /// <summary>Where the entry came from (<c>Studio:ApiKeys:0</c>), for error messages; not a setting.</summary>
    internal string Path { get; init; } = ApiKeyOptions.Section;

    public string DisplayName => Name ?? $"key {Path[(Path.LastIndexOf(':') + 1)..]}";
}

/// <summary>Refuses to start with a key that would never match or that clashes with another, naming the entry.</summary>
public sealed class ApiKeyOptionsValidation : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var problems = new List<string>();
        foreach (var entry in options.Keys)
        {
            if (string.IsNullOrWhiteSpace(entry.Key))
                problems.Add($"{entry.Path}: the key is empty");
            else if (entry.Key.StartsWith(ApiKeyEntry.HashPrefix, StringComparison.OrdinalIgnoreCase)
                     && (entry.Key.Length != ApiKeyEntry.HashPrefix.Length + 64 || !entry.Key[ApiKeyEntry.HashPrefix.Length..].All(char.IsAsciiHexDigit)))
                problems.Add($"{entry.Path}: a hashed key is 'sha256:' followed by 64 hex digits (e.g. the output of `printf %s KEY | sha256sum`)");
            if (entry.MaxConcurrent < 1) problems.Add($"{entry.Path}: MaxConcurrent must be at least 1; got {entry.MaxConcurrent}");
            if (entry.MaxQueued < 0) problems.Add($"{entry.Path}: MaxQueued must be 0 or more; got {entry.MaxQueued}");
        }
        foreach (var clash in options.Keys.GroupBy(e => e.DisplayName).Where(g => g.Count() > 1))
            problems.Add($"{string.Join(" and ", clash.Select(e => e.Path))} share the name '{clash.Key}'; each key needs its own name");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
