using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace StyleStudio.Web.Api;

/// <summary>A configured key as the studio keeps it: its SHA-256 only, never the key, and its client's limits.</summary>
public sealed record ApiKey(string Name, byte[] Hash, int MaxConcurrent, int MaxQueued);

/// <summary>
/// The configured API keys, held as SHA-256 hashes. A presented key is hashed and compared with every configured hash in
/// constant time, so neither the comparison nor which entry matched shows in the response time.
/// </summary>
public sealed class ApiKeys
{
    readonly IReadOnlyList<ApiKey> keys;

    public ApiKeys(IOptions<ApiKeyOptions> keyOptions, IOptions<ApiOptions> apiOptions)
    {
        var limits = apiOptions.Value;
        keys = keyOptions.Value.Keys.Select(entry => new ApiKey(entry.DisplayName, HashOf(entry.Key!),
            entry.MaxConcurrent ?? limits.MaxConcurrent, entry.MaxQueued ?? limits.MaxQueued)).ToList();
    }

    public int Count => keys.Count;

    /// <summary>True when any key is configured: then every API request needs one.</summary>
    public bool Required => keys.Count > 0;

    /// <summary>The key <paramref name="presented"/> matches, or null.</summary>
    public ApiKey? Find(string presented)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        ApiKey? match = null;
        foreach (var key in keys)   // no early exit: every entry costs the same
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash)) match = key;
        return match;
    }

    /// <summary>A configured key's hash: <c>sha256:HEX</c> as given, else the SHA-256 of the key's UTF-8 bytes.</summary>
    static byte[] HashOf(string configured) =>
        configured.StartsWith(ApiKeyEntry.HashPrefix, StringComparison.OrdinalIgnoreCase)
            ? Convert.FromHexString(configured.AsSpan(ApiKeyEntry.HashPrefix.Length))
            : SHA256.HashData(Encoding.UTF8.GetBytes(configured));
}
