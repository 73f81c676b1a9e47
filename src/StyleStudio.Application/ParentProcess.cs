using System.Runtime.InteropServices;

namespace StyleStudio.Application;

/// <summary>
/// Ties a program started by <c>dotnet run</c> to that command's process. `dotnet run` starts the program as its child and
/// does not pass SIGKILL on: killing the command a user (or a supervisor, or a test) started would leave the program
/// running unseen — a worker would go on training the run that was meant to move to another. Linux can deliver a signal
/// to a process when its parent dies (prctl PR_SET_PDEATHSIG); no .NET API exposes it, hence the P/Invoke.
/// </summary>
public static class ParentProcess
{
    const int SetParentDeathSignal = 1;   // PR_SET_PDEATHSIG
    const int Kill = 9;                   // SIGKILL

    /// <summary>On Linux, when the parent is `dotnet run`, this process is killed as soon as the parent dies.</summary>
    public static void EndWithDotnetRun()
    {
        if (!OperatingSystem.IsLinux()) return;
        int parent = GetParentId();
        if (!StartedByDotnetRun(parent)) return;
        if (SetDeathSignal(SetParentDeathSignal, Kill) != 0) return;
        // The parent may have died before the signal was asked for: then this process now has another parent.
        if (GetParentId() != parent) Environment.Exit(137);
    }

    /// <summary>True when <paramref name="pid"/>'s command line is the dotnet CLI's <c>run</c> command.</summary>
    static bool StartedByDotnetRun(int pid)
    {
        try
        {
            var words = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            return words.Length > 1 && Path.GetFileName(words[0]) is "dotnet" or "dotnet.exe" && words.Skip(1).Contains("run");
        }
        catch (IOException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "getppid")]
    static extern int GetParentId();

    [DllImport("libc", EntryPoint = "prctl")]
    static extern int SetDeathSignal(int option, nint signal);
}
