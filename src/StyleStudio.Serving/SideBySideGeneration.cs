using System.Runtime.CompilerServices;
using System.Threading.Channels;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Generation;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Serving;

/// <summary>An event of one column of a side-by-side generation: <see cref="Column"/> is the request's index.</summary>
public sealed record ColumnEvent(int Column, GenerationEvent Event);

/// <summary>A column whose model could not run (unknown id, prompt too long for it, a load failure); the others go on.</summary>
public sealed record GenerationFailed(string Message) : GenerationEvent;

/// <summary>
/// One prompt through several models at once — a base and its adapters, or runs — for comparing them side by side. Every
/// request is submitted at once, so requests for one base decode in the same batch of its engine; their events arrive
/// interleaved, each tagged with its column. A column that cannot run reports <see cref="GenerationFailed"/> and the
/// others carry on; cancellation stops all of them, and each ends with a finish event (reason cancelled).
/// </summary>
public static class SideBySideGeneration
{
    public static async IAsyncEnumerable<ColumnEvent> StreamSideBySideAsync(this GenerationService service, IReadOnlyList<GenerationRequest> requests,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        if (requests.Count == 0) throw new ArgumentException("choose at least one model to compare", nameof(requests));
        var events = Channel.CreateUnbounded<ColumnEvent>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var columns = requests.Select((request, column) => Task.Run(async () =>
        {
            try
            {
                await foreach (var e in service.StreamAsync(request, stop.Token)) events.Writer.TryWrite(new ColumnEvent(column, e));
            }
            catch (Exception e) when (e is ArgumentException or IOException or ModelLoadException or TokenizerLoadException or InvalidOperationException)
            {
                events.Writer.TryWrite(new ColumnEvent(column, new GenerationFailed(e.Message)));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped before it started (its model still loading): it ends as cancelled, like the columns that ran.
                events.Writer.TryWrite(new ColumnEvent(column, new GenerationFinished("", FinishReason.Cancelled, 0, 0, TimeSpan.Zero, [])));
            }
        })).ToArray();
        var all = Task.WhenAll(columns);
        _ = all.ContinueWith(t => events.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        try
        {
            await foreach (var e in events.Reader.ReadAllAsync(CancellationToken.None)) yield return e;
        }
        finally
        {
            // A reader that leaves early stops every column, and none outlives this call.
            stop.Cancel();
            try { await all; } catch (Exception) when (stop.IsCancellationRequested) { }
        }
    }
}
