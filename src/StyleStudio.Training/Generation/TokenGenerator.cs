using StyleStudio.Training.Models;
using StyleStudio.Training.Models.Compiled;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Generation;

/// <summary>
/// The decoding loop: prefill the prompts into a KV cache, then per step: logits → processors → pick → append → stop.
/// Prompts of different lengths are left-padded (positions count from each row's first real token), so a batch gives
/// the same tokens as its rows run one by one. Yields one token per row per step; finished rows yield the pad id.
/// </summary>
/// <remarks>
/// Everything a step needs stays on the device (chosen ids, positions, which rows have finished), and chosen tokens are
/// read back in chunks of 1, 2, 4 … 16 steps. Reading every step would make the CPU wait for the GPU to drain each time,
/// so launching and computing could never overlap; the first token still arrives at once.
/// </remarks>
public static class TokenGenerator
{
    const int LargestReadChunk = 16;

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
        var (padded, real) = LeftPad(prompts, width, pad);
        var compiled = model.CompiledDecoder;

        // Tensors carried across steps are owned here (detached), never by a caller's dispose scope.
        using var sampler = options.Greedy ? null : new TokenSampler(options.Seed ?? Random.Shared.NextInt64(), options.MaxNewTokens, batch, device);
        using var cache = new KvCache(model.Config, batch, capacity, model.DType, device);
        using var history = full([batch, capacity], pad, ScalarType.Int64, device).DetachFromDisposeScope(); // for the penalty
        using var positions = tensor(prompts.Select(p => (long)p.Length).ToArray(), [batch], device: device).DetachFromDisposeScope();
        using var unfinished = ones([batch], ScalarType.Bool, device).DetachFromDisposeScope();
        using var eos = tensor(eosIds.Select(i => (long)i).ToArray(), device: device).DetachFromDisposeScope();
        using var keyValid = compiled is null ? null : KeyValidity(real, batch, width, capacity, device);
        using var graphed = CudaGraphDecoder.Applies(model, options.MaxNewTokens) ? new CudaGraphDecoder(compiled!, cache, keyValid!) : null;
        Tensor? padding = prompts.Any(p => p.Length < width) ? tensor(real, [batch, width], device: device).DetachFromDisposeScope() : null;
        var pending = new List<Tensor>();
        var finished = new bool[batch];
        int readChunk = 1;

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

        try
        {
            for (int step = 0; step < options.MaxNewTokens; step++)
            {
                bool last = step + 1 == options.MaxNewTokens || cancellation.IsCancellationRequested;
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    var scores = LogitsProcessing.Apply(logits, history.narrow(1, 0, width + step), options, step, eosIds);
                    var next = sampler?.Draw(scores.softmax(-1), step) ?? scores.argmax(-1);
                    next = where(unfinished, next, pad);                    // finished rows emit padding, as in transformers
                    history.narrow(1, width + step, 1).copy_(next.unsqueeze(1));
                    if (eosIds.Count > 0) unfinished.logical_and_(isin(next, eos).logical_not());
                    pending.Add(next.DetachFromDisposeScope());

                    if (!last)
                    {
                        var ids = next.view(batch, 1);
                        var nextLogits = graphed?.Step(ids, positions)
                            ?? compiled?.Step(ids, positions, keyValid!, padding is not null, cache)
                            ?? EagerStep(model, ids, positions, ref padding, cache);
                        positions.add_(1);
                        logits.Dispose();
                        logits = nextLogits.DetachFromDisposeScope();
                    }
                }

                if (pending.Count < readChunk && !last) continue;
                long[,] read;
                using (var scope = NewDisposeScope())
                    read = ReadTokens(pending, batch);
                readChunk = Math.Min(readChunk * 2, LargestReadChunk);
                for (int i = 0; i < read.GetLength(0); i++)
                {
                    var chosen = Enumerable.Range(0, batch).Select(row => read[i, row]).ToArray();
                    for (int row = 0; row < batch; row++)
                        finished[row] |= eosIds.Contains((int)chosen[row]);
                    yield return chosen;
                    if (finished.All(f => f)) yield break;
                }
                if (last) yield break;
            }
        }
        finally
        {
            pending.ForEach(t => t.Dispose());
            logits.Dispose();
            padding?.Dispose();
        }
    }

    /// <summary>Op-by-op decode step, for models the compiled step does not cover; grows the padding mask by one slot.</summary>
    static Tensor EagerStep(CausalLM model, Tensor ids, Tensor positions, ref Tensor? padding, KvCache cache)
    {
        if (padding is not null)
        {
            var grown = cat([padding, ones([padding.shape[0], 1], ScalarType.Int64, padding.device)], 1).DetachFromDisposeScope();
            padding.Dispose();
            padding = grown;
        }
        return model.Forward(new ForwardInput(ids, positions.unsqueeze(1), padding, cache, LastPositionOnly: true)).squeeze(1);
    }

    /// <summary>Copies the pending steps' tokens to the host in one transfer ([steps, B]) and releases them.</summary>
    static long[,] ReadTokens(List<Tensor> pending, int batch)
    {
        var values = stack(pending).cpu().data<long>().ToArray();
        var read = new long[pending.Count, batch];
        Buffer.BlockCopy(values, 0, read, 0, values.Length * sizeof(long));
        pending.ForEach(t => t.Dispose());
        pending.Clear();
        return read;
    }

    static (long[] Ids, long[] Real) LeftPad(IReadOnlyList<int[]> prompts, int width, long pad)
    {
        var ids = new long[prompts.Count * width];
        var real = new long[prompts.Count * width];
        for (int row = 0; row < prompts.Count; row++)
        {
            int offset = width - prompts[row].Length;
            for (int i = 0; i < width; i++)
            {
                ids[row * width + i] = i < offset ? pad : prompts[row][i - offset];
                real[row * width + i] = i < offset ? 0 : 1;
            }
        }
        return (ids, real);
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
