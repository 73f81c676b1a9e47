using System.CommandLine;
using Microsoft.AspNetCore.Identity;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// <c>stylestudio password-hash</c>: reads a password from standard input (one line; never from the command line,
/// where other users' process lists show it) and prints its hash for <c>Studio:Login:PasswordHash</c>, in ASP.NET Core
/// Identity's format (PBKDF2-HMAC-SHA512, random salt), which the studio verifies with the same hasher.
/// </summary>
static class PasswordHashCommand
{
    public static Command Create()
    {
        var command = new Command("password-hash", "Hash a studio password (read from standard input) for Studio:Login:PasswordHash");
        command.SetAction(_ => CliOutput.Guard(() =>
        {
            if (!Console.IsInputRedirected) Console.Error.Write("Password: ");
            string password = Console.ReadLine() ?? "";
            if (password.Length < 8) throw new ArgumentException("the password must be at least 8 characters");
            Console.WriteLine(new PasswordHasher<string>().HashPassword("", password));
            return 0;
        }));
        return command;
    }
}
