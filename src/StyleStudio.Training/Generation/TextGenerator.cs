using System.Diagnostics;
using System.Runtime.CompilerServices;
using StyleStudio.Training.Tokenization;

namespace StyleStudio.Training.Generation;

/// <summary>One piece of streamed output: new text (possibly empty while a character is incomplete) and its token.</summary>
public sealed record TextDelta(string Text, int TokenId);

/// <summary>The outcome of a whole generation.</summary>
public sealed record GenerationResult(string Text, IReadOnlyList<int> TokenIds, FinishReason FinishReason, int PromptTokens,
    TimeSpan Elapsed)
{
    public double TokensPerSecond => TokenIds.Count / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Text in, text out, for one prompt: tokenizes, runs <see cref="TokenGenerator"/>, detokenizes as a stream that never
/// splits a character, and honours stop strings (holding back text that may turn out to start one).
/// </summary>
/// <param name="model">The model and its tokenizer.</param>
/// <param name="stopTokenIds">Tokens that end the answer; defaults to the model's EOS ids (add a template's end-of-turn).</param>
public sealed class TextGenerator(PretrainedModel model, IReadOnlyList<int>? stopTokenIds = null)
{
    readonly TextTokenizer tokenizer = model.RequireTokenizer();
    readonly IReadOnlyList<int> stopIds = stopTokenIds ?? model.EosTokenIds;

    /// <summary>Generates from token ids; <paramref name="onDelta"/> receives text as it is produced.</summary>
    public GenerationResult Generate(IReadOnlyList<int> promptIds, SamplingOptions options, Action<TextDelta>? onDelta = null,
        CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        var detokenizer = new StreamingDetokenizer(tokenizer);
        var stops = new StopStringFilter(options.StopStrings);
        var ids = new List<int>();
        var reason = FinishReason.Length;
        foreach (var step in TokenGenerator.Generate(model.Network, [promptIds.ToArray()], options, stopIds, cancellation))
        {
            if (cancellation.IsCancellationRequested)
            {
                reason = FinishReason.Cancelled;
                break;
            }
            int id = (int)step[0];
            ids.Add(id);
            if (stopIds.Contains(id))
            {
                reason = FinishReason.Eos;
                break;
            }
            var (text, stopped) = stops.Push(detokenizer.Push(id));
            onDelta?.Invoke(new TextDelta(text, id));
            if (stopped)
            {
                reason = FinishReason.StopString;
                break;
            }
        }
        if (reason != FinishReason.StopString)
        {
            var (rest, _) = stops.Push(detokenizer.Flush(), final: true);
            if (rest.Length > 0) onDelta?.Invoke(new TextDelta(rest, -1));
        }
        return new GenerationResult(stops.Emitted, ids, reason, promptIds.Count, clock.Elapsed);
    }

    public GenerationResult Generate(string prompt, SamplingOptions options, Action<TextDelta>? onDelta = null,
        CancellationToken cancellation = default) =>
        Generate(tokenizer.Encode(prompt, addSpecialTokens: true), options, onDelta, cancellation);

    /// <summary>Streams text deltas; the work runs on a background thread so callers (pages, API) stay responsive.</summary>
    public async IAsyncEnumerable<TextDelta> StreamAsync(string prompt, SamplingOptions options,
        [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var channel = System.Threading.Channels.Channel.CreateUnbounded<TextDelta>();
        var work = Task.Run(() =>
        {
            try
            {
                Generate(prompt, options, d => channel.Writer.TryWrite(d), cancellation);
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, CancellationToken.None);
        await foreach (var delta in channel.Reader.ReadAllAsync(CancellationToken.None))
            if (delta.Text.Length > 0) yield return delta;
        await work;
    }
}
