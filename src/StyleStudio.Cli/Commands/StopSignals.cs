using System.Runtime.InteropServices;

namespace StyleStudio.Cli.Commands;

/// <summary>
/// Turns the first SIGINT (Ctrl+C) or SIGTERM into a cancellation the trainer sees between steps, so the step in progress
/// finishes and a checkpoint is saved; a second signal is left to the runtime and ends the process at once.
/// </summary>
sealed class StopSignals : IDisposable
{
    /// <summary>Exit code after stopping on Ctrl+C / SIGINT (128 + 2, as shells report it), with a checkpoint saved.</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>Exit code after stopping on SIGTERM (128 + 15), with a checkpoint saved.</summary>
    public const int TerminatedExitCode = 143;

    readonly CancellationTokenSource stop = new();
    readonly PosixSignalRegistration interrupt, terminate;
    PosixSignal? received;

    public StopSignals()
    {
        interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
        terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
    }

    public CancellationToken Token => stop.Token;

    /// <summary>The exit code that tells which signal stopped the run.</summary>
    public int ExitCode => received == PosixSignal.SIGTERM ? TerminatedExitCode : InterruptedExitCode;

    void Handle(PosixSignalContext context)
    {
        if (received is not null) return;   // second signal: default handling, the process ends now
        received = context.Signal;
        context.Cancel = true;
        Console.Error.WriteLine($"{(context.Signal == PosixSignal.SIGINT ? "Ctrl+C" : "SIGTERM")}: stopping after the current step " +
                                "and saving a checkpoint (signal again to quit at once)");
        stop.Cancel();
    }

    public void Dispose()
    {
        interrupt.Dispose();
        terminate.Dispose();
        stop.Dispose();
    }
}
