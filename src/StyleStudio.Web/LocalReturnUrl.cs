namespace StyleStudio.Web;

/// <summary>Return addresses after sign-in or a language switch: only paths on this site, so a crafted link cannot send the user elsewhere.</summary>
public static class LocalReturnUrl
{
    public static string OrRoot(string? url) =>
        url is { Length: > 0 } && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url : "/";
}
