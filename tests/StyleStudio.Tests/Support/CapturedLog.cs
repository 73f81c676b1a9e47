using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace StyleStudio.Tests.Support;

/// <summary>
/// What an in-process studio logged, kept in memory so that a browser test that fails can say what the server did
/// meanwhile (CI keeps only the test's output). Our own categories at Debug, Blazor's circuits at Debug (a lost or
/// broken connection), everything else from Warning.
/// </summary>
sealed class CapturedLog : ILoggerProvider
{
    const int Kept = 400;
    readonly ConcurrentQueue<string> lines = new();
    readonly DateTime started = DateTime.UtcNow;

    public static CapturedLog AddTo(IServiceCollection services)
    {
        var log = new CapturedLog();
        services.AddSingleton<ILoggerProvider>(log);
        services.Configure<LoggerFilterOptions>(filters =>
        {
            filters.AddFilter<CapturedLog>(null, LogLevel.Warning);
            filters.AddFilter<CapturedLog>("StyleStudio", LogLevel.Debug);
            filters.AddFilter<CapturedLog>("Microsoft.AspNetCore.Components.Server.Circuits", LogLevel.Debug);
        });
        return log;
    }

    /// <summary>The latest lines, oldest first, each with its time since the studio started.</summary>
    public string Tail(int count = 120) => string.Join('\n', lines.TakeLast(count));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    void Add(string line)
    {
        lines.Enqueue(line);
        while (lines.Count > Kept) lines.TryDequeue(out _);
    }

    sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var at = (DateTime.UtcNow - log.started).TotalSeconds;
            log.Add($"{at,7:0.000}s {logLevel,-11} {category}: {formatter(state, exception)}" +
                    (exception is null ? "" : $"\n    {exception.GetType().Name}: {exception.Message}"));
        }
    }
}
