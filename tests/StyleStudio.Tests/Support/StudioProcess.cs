using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace StyleStudio.Tests.Support;

/// <summary>
/// The studio started as a user starts it: a child process running a command line in a folder, in the Production
/// environment (no ASPNETCORE_/DOTNET_ENVIRONMENT), on a port Kestrel picks, with its own data folder. Its console output
/// is kept so a test can read what the user reads.
/// </summary>
sealed partial class StudioProcess : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();
    readonly TaskCompletionSource<Uri> listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string DataFolder { get; }
    public Uri Address { get; private set; } = null!;

    /// <summary>Everything the process printed so far.</summary>
    public string Output { get { lock (output) return output.ToString(); } }

    StudioProcess(string fileName, IEnumerable<string> arguments, string workingDirectory, string? dataFolder,
        IReadOnlyDictionary<string, string>? environment)
    {
        DataFolder = dataFolder ?? Directory.CreateTempSubdirectory("studio-process-").FullName;
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment["STYLESTUDIO_DATA"] = DataFolder;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => Read(line.Data);
        process.ErrorDataReceived += (_, line) => Read(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>
    /// Starts <paramref name="commandLine"/> (words split on spaces) and waits until the studio reports it is ready; on a
    /// fresh data folder, or on <paramref name="dataFolder"/> (prepared by the test; deleted with the process too, unless
    /// <paramref name="keepDataFolder"/>: a restart test starts the next process on it), with <paramref name="environment"/>
    /// added to this process's environment.
    /// </summary>
    public static async Task<StudioProcess> StartAsync(string commandLine, string workingDirectory, TimeSpan timeout, string? dataFolder = null,
        bool keepDataFolder = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var words = commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var studio = new StudioProcess(words[0], words[1..], workingDirectory, dataFolder, environment) { keepDataFolder = keepDataFolder };
        try
        {
            var exited = studio.process.WaitForExitAsync();
            var first = await Task.WhenAny(studio.listening.Task, exited, Task.Delay(timeout));
            if (first != studio.listening.Task)
                throw new TimeoutException($"'{commandLine}' {(first == exited ? "exited" : "did not report ready")}:\n{studio.Output}");
            studio.Address = await studio.listening.Task;
            return studio;
        }
        catch
        {
            await studio.DisposeAsync();
            throw;
        }
    }

    Uri? openAddress;
    bool keepDataFolder;

    void Read(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
        // The studio's startup report ends the start-up output: its "Open:" line names the address with the port chosen,
        // its "Device:" line is the last. Lines arrive one by one, so the report is whole only once "Device:" is in.
        if (OpenLine().Match(line) is { Success: true } open) openAddress = new Uri(open.Groups[1].Value);
        else if (openAddress is not null && line.TrimStart().StartsWith("Device:", StringComparison.Ordinal)) listening.TrySetResult(openAddress);
    }

    [GeneratedRegex(@"^\s*Open:\s+(http://[^\s,]+)")]
    private static partial Regex OpenLine();

    /// <summary>Sends SIGTERM (what `docker stop` and systemd send) and returns the exit code, or null if it is still running after <paramref name="limit"/>.</summary>
    public async Task<int?> TerminateAsync(TimeSpan limit)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        if (!keepDataFolder) Directory.Delete(DataFolder, recursive: true);
    }
}
