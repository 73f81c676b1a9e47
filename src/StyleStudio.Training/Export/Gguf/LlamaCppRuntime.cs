using System.Collections.Concurrent;
using LLama.Native;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// Loads llama.cpp once per process. LLamaSharp picks the native build for this CPU (avx2, avx512, …) when its NativeApi
/// type initializes; some entry points (the quantizer's default parameters) call native code before that would happen,
/// so the load is forced here first. llama.cpp logs every tensor it touches to stderr by default, which buries the CLI's
/// own output: its log is kept here instead (the last warnings and errors) so a failure can quote what llama.cpp said.
/// </summary>
public static class LlamaCppRuntime
{
    const int KeptLines = 40;
    static readonly ConcurrentQueue<string> recent = new();
    static int installed;

    public static void EnsureLoaded()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        NativeApi.llama_empty_call();
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
