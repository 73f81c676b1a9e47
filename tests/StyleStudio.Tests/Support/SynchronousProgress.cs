namespace StyleStudio.Tests.Support;

/// <summary>Reports on the reporting thread, one report at a time (Progress&lt;T&gt; posts to the thread pool, so its last
/// report may come after the call returns).</summary>
sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    readonly Lock gate = new();

    public void Report(T value)
    {
        lock (gate) report(value);
    }
}
