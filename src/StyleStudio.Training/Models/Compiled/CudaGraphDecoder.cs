using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Compiled;

/// <summary>
/// The compiled decode step captured once as a CUDA graph and replayed for every later token of one generation. Even
/// scripted, a step issues ~20 kernels per layer one by one from the host, and for a small model the GPU finishes each
/// sooner than the host can issue the next; a replay issues them all at once (measured on an H200 in the decode benchmark).
/// </summary>
/// <remarks>
/// The graph is tied to this generation's KV cache, batch and capacity; it reads its inputs from tensors owned here
/// (refreshed in place before each replay) and writes the logits into the tensor captured as its output.
/// </remarks>
public sealed class CudaGraphDecoder : IDisposable
{
    /// <summary>Fewer new tokens than this are not worth a capture (warm-ups plus capture cost about four steps).</summary>
    public const int MinNewTokens = 8;

    /// <summary>Uncaptured runs before the capture: TorchScript profiles its first run and optimises the next.</summary>
    const int Warmups = 3;

    readonly CompiledDecoder decoder;
    readonly KvCache cache;
    readonly Tensor keyValid;
    readonly Tensor ids, positions, slot;   // the graph's inputs
    CudaGraph? graph;
    Tensor? logits;                         // the graph's output

    /// <summary>Whether a generation of <paramref name="newTokens"/> tokens on <paramref name="model"/> runs as a graph.</summary>
    public static bool Applies(CausalLM model, int newTokens) =>
        model.UseCudaGraphs && model.Device.type == DeviceType.CUDA && model.Device.index <= 0 && newTokens >= MinNewTokens
        && model.CompiledDecoder is not null && CudaGraph.IsAvailable;

    /// <param name="keyValid">[B, capacity] bool, as for <see cref="CompiledDecoder.Step"/>; must stay alive and unchanged.</param>
    public CudaGraphDecoder(CompiledDecoder decoder, KvCache cache, Tensor keyValid)
    {
        this.decoder = decoder;
        this.cache = cache;
        this.keyValid = keyValid;
        long batch = keyValid.shape[0];
        ids = zeros([batch, 1], ScalarType.Int64, keyValid.device).DetachFromDisposeScope();
        positions = zeros([batch], ScalarType.Int64, keyValid.device).DetachFromDisposeScope();
        slot = zeros([1], ScalarType.Int64, keyValid.device).DetachFromDisposeScope();
    }

    /// <summary>Same contract as <see cref="CompiledDecoder.Step"/>: feeds [B, 1] ids at [B] positions, advances the cache.</summary>
    /// <returns>Logits [B, vocab], a tensor of the caller's own.</returns>
    public Tensor Step(Tensor nextIds, Tensor nextPositions)
    {
        if (cache.Length >= cache.Capacity)
            throw new InvalidOperationException($"KV cache holds {cache.Capacity} positions; all are used");
        ids.copy_(nextIds);
        positions.copy_(nextPositions);
        slot.fill_(cache.Length);
        if (graph is null)
        {
            graph = CudaGraph.Capture(keyValid.device, () =>
            {
                logits?.Dispose();
                logits = decoder.StepAt(ids, positions, slot, keyValid, cache).DetachFromDisposeScope();
            }, Warmups);
        }
        graph.Replay();
        cache.Advance(1);
        return logits!.clone();
    }

    public void Dispose()
    {
        graph?.Dispose();
        logits?.Dispose();
        foreach (var t in new[] { ids, positions, slot }) t.Dispose();
    }
}
