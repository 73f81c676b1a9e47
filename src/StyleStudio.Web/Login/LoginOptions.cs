namespace StyleStudio.Web.Login;

/// <summary>The studio's sign-in, bound from <c>Studio:Login</c>.</summary>
public sealed class LoginOptions
{
    public const string Section = "Studio:Login";

    /// <summary>The user name to sign in with. Defaults to "admin".</summary>
    public string User { get; set; } = "admin";

    /// <summary>
    /// The password's hash in ASP.NET Core Identity's format (PBKDF2; make one with <c>stylestudio password-hash</c>).
    /// When set, every page and the job dashboard need a sign-in; when not, the studio answers this machine only.
    /// </summary>
    public string? PasswordHash { get; set; }

    /// <summary>Serve the pages to other machines without a sign-in (e.g. a container whose port is published on the
    /// host's loopback only). Defaults to false.</summary>
    public bool AllowRemoteWithoutLogin { get; set; }
}
