using static TorchSharp.torch;

namespace StyleStudio.Training.Models;

/// <summary>
/// Preallocated keys and values for every layer ([B, KV heads, capacity, D] each). Appending writes in place, so a
/// decode step allocates nothing that outlives it. <see cref="Length"/> counts the slots filled by earlier forwards.
/// Slots start zeroed: the compiled decode step attends over the whole capacity with unfilled slots masked, and masked
/// garbage (NaN) would still poison the weighted sum.
/// </summary>
public sealed class KvCache : IDisposable
{
    readonly Tensor[] keys, values;

    public long Capacity { get; }
    public long Length { get; private set; }

    public KvCache(ModelConfig config, long batch, long capacity, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (int layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            keys[layer] = zeros([batch, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
            values[layer] = zeros([batch, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
        }
    }

    internal Tensor[] Keys => keys;
    internal Tensor[] Values => values;

    /// <summary>Stores this forward's keys/values ([B, KV, T, D]) after the cached ones; returns views of all so far.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        long steps = newKeys.shape[2];
        if (Length + steps > Capacity)
            throw new InvalidOperationException($"KV cache holds {Capacity} positions; {Length} used, {steps} more requested");
        keys[layer].narrow(2, Length, steps).copy_(newKeys);
        values[layer].narrow(2, Length, steps).copy_(newValues);
        return (keys[layer].narrow(2, 0, Length + steps), values[layer].narrow(2, 0, Length + steps));
    }

    /// <summary>Called once per forward, after every layer has appended.</summary>
    public void Advance(long steps) => Length += steps;

    public void Dispose()
    {
        foreach (var t in keys.Concat(values)) t.Dispose();
    }
}
