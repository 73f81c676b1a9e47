using System.Diagnostics;

namespace StyleStudio.Tests.Support;

/// <summary>Runs the real `stylestudio` program (built beside the tests) as a child process.</summary>
static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    static readonly IReadOnlyDictionary<string, string?> Inherited = new Dictionary<string, string?>();

    public static Result Run(params string[] arguments) => Run(Inherited, arguments);

    /// <summary>Runs with <paramref name="environment"/> added to (or, for null values, removed from) the inherited environment.</summary>
    public static Result Run(IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        RunMeasured(environment, arguments).Result;

    public static (Result Result, long PeakBytes) RunMeasured(params string[] arguments) => RunMeasured(Inherited, arguments);

    /// <summary>
    /// Runs the program and reports its peak resident memory: the kernel's high-water mark (VmHWM in /proc/PID/status),
    /// polled until exit — it only grows, so the last reading misses at most the final few milliseconds. 0 where /proc is absent.
    /// </summary>
    public static (Result Result, long PeakBytes) RunMeasured(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        using var process = Start(environment, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var deadline = Stopwatch.StartNew();
        while (!process.WaitForExit(TimeSpan.FromMilliseconds(20)))
        {
            peak = Math.Max(peak, PeakResidentBytes(process.Id));
            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"stylestudio {string.Join(' ', arguments)} did not finish");
            }
        }
        return (new Result(process.ExitCode, stdout.Result, stderr.Result), peak);
    }

    public static Process Start(params string[] arguments) => Start(Inherited, arguments);

    /// <summary>Starts the program with its output redirected; the caller reads, waits for or kills it.</summary>
    public static Process Start(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "stylestudio.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    static long PeakResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            // The process ended between the check and the read.
        }
        return 0;
    }
}
