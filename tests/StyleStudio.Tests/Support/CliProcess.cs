using System.Diagnostics;
using System.Text;

namespace StyleStudio.Tests.Support;

/// <summary>
/// The real `stylestudio` program running as a child process, for tests that act on it while it runs: wait for what it
/// writes, send it a signal (SIGINT the way Ctrl+C does, through kill(1): <see cref="Process.Kill()"/> only sends SIGKILL),
/// or kill it outright.
/// </summary>
sealed class CliProcess : IDisposable
{
    readonly Process process;
    readonly StringBuilder stdout = new(), stderr = new();

    public CliProcess(params string[] arguments) : this(new Dictionary<string, string>(), arguments)
    {
    }

    /// <summary>The program with <paramref name="environment"/> added to this process's environment (a worker's settings).</summary>
    public CliProcess(IReadOnlyDictionary<string, string> environment, params string[] arguments)
        : this(environment, AppContext.BaseDirectory, ["dotnet", Path.Combine(AppContext.BaseDirectory, "stylestudio.dll"), .. arguments])
    {
    }

    /// <summary>
    /// Any command line (e.g. the README's <c>dotnet run --project src/StyleStudio.Cli -- worker</c>) run in
    /// <paramref name="workingDirectory"/> with <paramref name="environment"/> added.
    /// </summary>
    public CliProcess(IReadOnlyDictionary<string, string> environment, string workingDirectory, IReadOnlyList<string> command)
    {
        // A program started in the background by a non-interactive shell (CI, nohup, `&`) inherits SIGINT as ignored, and
        // .NET keeps an inherited ignore: Ctrl+C would never arrive. env(1) restores the default, as a terminal has it,
        // and execs the command in the same process.
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add("--default-signal=INT,TERM");
        foreach (var word in command) start.ArgumentList.Add(word);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) lock (stdout) stdout.AppendLine(line.Data); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) lock (stderr) stderr.AppendLine(line.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Stdout { get { lock (stdout) return stdout.ToString(); } }
    public string Stderr { get { lock (stderr) return stderr.ToString(); } }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails if the process exits first or time runs out.</summary>
    public void WaitUntil(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (process.HasExited) throw new InvalidOperationException($"stylestudio exited ({process.ExitCode}) first:\n{Stdout}\n{Stderr}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not reached within {limit}:\n{Stdout}\n{Stderr}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Sends a signal by name (INT, TERM) as a shell's kill does.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public bool HasExited => process.HasExited;

    /// <summary>SIGKILL: no handler runs, nothing is flushed or saved.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    /// <summary>Sends a signal by name (STOP, CONT, …) to the process and every process it started, children first.</summary>
    public void SignalTree(string name) => Signal(name, Descendants(process.Id).Append(process.Id));

    /// <summary>Sends a signal by name to the processes this one started (the program `dotnet run` runs), not to itself.</summary>
    public void SignalChildren(string name) => Signal(name, Descendants(process.Id));

    static void Signal(string name, IEnumerable<int> pids)
    {
        foreach (int pid in pids)
        {
            using var kill = Process.Start("kill", ["-" + name, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>The processes below <paramref name="pid"/>, deepest first, from pgrep(1).</summary>
    static IEnumerable<int> Descendants(int pid)
    {
        var start = new ProcessStartInfo("pgrep", ["-P", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true };
        using var pgrep = Process.Start(start)!;
        var children = pgrep.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        pgrep.WaitForExit();
        return children.SelectMany(child => Descendants(child).Append(child)).ToList();
    }

    /// <summary>Waits for the exit and returns its code; fails after <paramref name="limit"/>.</summary>
    public int WaitForExit(TimeSpan limit)
    {
        if (!process.WaitForExit(limit)) throw new TimeoutException($"stylestudio still running after {limit}:\n{Stdout}\n{Stderr}");
        process.WaitForExit();   // drains the redirected output
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.Dispose();
    }
}
