using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace StyleStudio.Web.Login;

/// <summary>
/// Who may use the studio's pages. With a password configured: whoever signs in (cookie). Without: clients on this
/// machine only, unless <see cref="LoginOptions.AllowRemoteWithoutLogin"/> — a studio started with <c>--urls
/// http://0.0.0.0:5000</c> must not hand its data and GPU to the network because nobody set a password. Passwords are
/// checked with ASP.NET Core Identity's hasher (PBKDF2, constant-time comparison): no hand-rolled crypto.
/// </summary>
public sealed class StudioLogin
{
    public const string Scheme = "StudioLogin";
    public const string Policy = "StudioSignedIn";
    public const string Path = "/login";

    static readonly PasswordHasher<string> Hasher = new();
    readonly LoginOptions options;

    public StudioLogin(IOptions<LoginOptions> options)
    {
        this.options = options.Value;
        if (Required && !IsHash(this.options.PasswordHash!))
            throw new InvalidOperationException(
                "Studio:Login:PasswordHash is not a password hash; make one with `stylestudio password-hash` (it reads the password from standard input)");
    }

    /// <summary>Whether pages need a sign-in.</summary>
    public bool Required => !string.IsNullOrEmpty(options.PasswordHash);

    public string User => options.User;

    /// <summary>Who the pages answer, for the startup report.</summary>
    public string Summary => Required ? $"sign-in required (user '{options.User}')"
        : options.AllowRemoteWithoutLogin ? "no sign-in, answering every client (Studio:Login:AllowRemoteWithoutLogin)"
        : "no sign-in configured — answering this machine only (set Studio:Login:PasswordHash to serve other machines)";

    public bool Verify(string user, string password) =>
        Required && string.Equals(user, options.User, StringComparison.Ordinal)
        && Hasher.VerifyHashedPassword(options.User, options.PasswordHash!, password) != PasswordVerificationResult.Failed;

    /// <summary>Whether a client at <paramref name="remote"/> may reach the pages without signing in (null: this machine).</summary>
    public bool AdmitsWithoutLogin(IPAddress? remote) =>
        !Required && (options.AllowRemoteWithoutLogin || Api.ApiAccess.IsLocal(remote));

    public static string Hash(string password) => Hasher.HashPassword("", password);

    /// <summary>Identity's v3 format: base64 of a version byte 0x01 and the PBKDF2 parameters, salt and subkey.</summary>
    static bool IsHash(string text)
    {
        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out int length) && length >= 13 + 16 && bytes[0] == 0x01;
    }
}
