using System.Collections.Concurrent;
using LLama.Native;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// llama.cpp logs every tensor it touches to stderr by default, which buries the CLI's own output. Its log is kept here
/// instead (the last lines, warnings and errors only) so a failure can quote what llama.cpp said.
/// </summary>
public static class LlamaCppRuntime
{
    const int KeptLines = 40;
    static readonly ConcurrentQueue<string> recent = new();
    static int installed;

    public static void EnsureQuiet()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        NativeLogConfig.llama_log_set((level, message) =>
        {
            if (level is not (LLamaLogLevel.Warning or LLamaLogLevel.Error) || string.IsNullOrWhiteSpace(message)) return;
            recent.Enqueue(message.Trim());
            while (recent.Count > KeptLines) recent.TryDequeue(out _);
        });
    }

    /// <summary>The warnings and errors llama.cpp logged most recently, oldest first.</summary>
    public static IReadOnlyList<string> RecentWarnings => recent.ToArray();
}
