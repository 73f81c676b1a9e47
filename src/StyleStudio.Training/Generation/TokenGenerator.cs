using StyleStudio.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Generation;

/// <summary>
/// The decoding loop: prefill the prompts into a KV cache, then per step: logits → processors → pick → append → stop.
/// Prompts of different lengths are left-padded (positions count from each row's first real token), so a batch gives
/// the same tokens as its rows run one by one. Yields one token per row per step; finished rows yield the pad id.
/// </summary>
public static class TokenGenerator
{
    public static IEnumerable<long[]> Generate(CausalLM model, IReadOnlyList<int[]> prompts, SamplingOptions options,
        IReadOnlyList<int> eosIds, CancellationToken cancellation = default)
    {
        options.Validate();
        if (prompts.Count == 0 || prompts.Any(p => p.Length == 0))
            throw new ArgumentException("every prompt needs at least one token", nameof(prompts));
        var vocab = model.Config.VocabSize;
        if (prompts.SelectMany(p => p).Any(id => id < 0 || id >= vocab))
            throw new ArgumentException($"prompt token ids must be in [0, {vocab})", nameof(prompts));

        long pad = model.Config.PadTokenId ?? eosIds.FirstOrDefault();
        int batch = prompts.Count, width = prompts.Max(p => p.Length);
        long capacity = width + options.MaxNewTokens;
        var device = model.Device;
        using var generator = options.Greedy ? null : new Generator((ulong)(options.Seed ?? Random.Shared.NextInt64()), device);
        using var cache = new KvCache(model.Config, batch, capacity, model.DType, device);
        using var history = full([batch, capacity], pad, ScalarType.Int64, device).DetachFromDisposeScope(); // prompt + output, for the penalty

        var padded = new long[batch * width];
        var real = new long[batch * width];
        for (int row = 0; row < batch; row++)
        {
            int offset = width - prompts[row].Length;
            for (int i = 0; i < width; i++)
            {
                padded[row * width + i] = i < offset ? pad : prompts[row][i - offset];
                real[row * width + i] = i < offset ? 0 : 1;
            }
        }
        bool anyPadding = prompts.Any(p => p.Length < width);
        // Tensors carried across steps are owned here (detached), never by a caller's dispose scope.
        Tensor? padding = anyPadding ? tensor(real, [batch, width], device: device).DetachFromDisposeScope() : null;
        var compiled = model.CompiledDecoder;
        using var keyValid = compiled is null ? null : KeyValidity(real, batch, width, capacity, device);
        var finished = new bool[batch];
        Tensor logits;
        // Grad mode and dispose scopes are per thread, and an iterator may resume on another thread: enter both per step.
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var ids = tensor(padded, [batch, width], device: device);
            history.narrow(1, 0, width).copy_(ids);
            var promptPositions = padding is null ? arange(width, device: device).expand(batch, width) : CausalLM.PositionsFromPadding(padding);
            logits = model.Forward(new ForwardInput(ids, promptPositions, padding, cache, LastPositionOnly: true))
                .squeeze(1).DetachFromDisposeScope();
        }

        // Token ids and positions stay on the device between steps: a host→device copy would wait for the GPU to drain.
        using var positions = tensor(prompts.Select(p => (long)p.Length).ToArray(), [batch], device: device).DetachFromDisposeScope();
        try
        {
            for (int step = 0; step < options.MaxNewTokens && !cancellation.IsCancellationRequested; step++)
            {
                long[] chosen;
                Tensor next;
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    var scores = LogitsProcessing.Apply(logits, history.narrow(1, 0, width + step), options, step, eosIds);
                    next = (options.Greedy ? scores.argmax(-1) : multinomial(scores.softmax(-1), 1, generator: generator).squeeze(1))
                        .DetachFromDisposeScope();
                    chosen = next.cpu().data<long>().ToArray();
                }
                using var nextOnDevice = next;
                bool anyFinished = finished.Any(f => f);
                for (int row = 0; row < batch; row++)
                {
                    if (finished[row]) chosen[row] = pad;
                    else if (eosIds.Contains((int)chosen[row])) finished[row] = true;
                }
                yield return chosen;
                if (finished.All(f => f) || step + 1 == options.MaxNewTokens) yield break;

                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    // Rows that finished earlier feed the pad id; only then do the ids come from the host.
                    var ids = (anyFinished ? tensor(chosen, [batch], device: device) : nextOnDevice).view(batch, 1);
                    history.narrow(1, width + step, 1).copy_(ids);
                    Tensor nextLogits;
                    if (compiled is not null)
                    {
                        nextLogits = compiled.Step(ids, positions, keyValid!, cache);
                    }
                    else
                    {
                        if (padding is not null)
                        {
                            var grown = cat([padding, ones([batch, 1], ScalarType.Int64, device)], 1).DetachFromDisposeScope();
                            padding.Dispose();
                            padding = grown;
                        }
                        nextLogits = model.Forward(new ForwardInput(ids, positions.unsqueeze(1), padding, cache, LastPositionOnly: true)).squeeze(1);
                    }
                    positions.add_(1);
                    logits.Dispose();
                    logits = nextLogits.DetachFromDisposeScope();
                }
            }
        }
        finally
        {
            logits.Dispose();
            padding?.Dispose();
        }
    }

    /// <summary>[B, capacity] bool for the compiled step: prompt padding is invalid, every later slot valid.</summary>
    static Tensor KeyValidity(long[] promptValidity, int batch, int width, long capacity, Device device)
    {
        var valid = new bool[batch * capacity];
        for (int row = 0; row < batch; row++)
            for (long slot = 0; slot < capacity; slot++)
                valid[row * capacity + slot] = slot >= width || promptValidity[row * width + slot] == 1;
        return tensor(valid, [batch, capacity], device: device).DetachFromDisposeScope();
    }
}
