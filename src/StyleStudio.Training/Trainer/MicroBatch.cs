using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// The shape of one training forward: rows × width tokens, the number of positions whose loss is taken, and whether
/// rows hold several packed examples (which needs a segment mask). Equal shapes can replay one CUDA graph.
/// </summary>
public readonly record struct MicroBatchShape(int Rows, int Width, int LossRows, bool Packed)
{
    /// <summary>
    /// This shape rounded up to one of a few sizes, so that a run's micro-batches share a handful of CUDA graphs: the batch
    /// size in rows, widths and loss positions to a multiple of a quarter of the power of two below them (at least 64),
    /// so that padding costs at most a quarter more work and a run meets at most four widths per doubling of its lengths.
    /// </summary>
    public MicroBatchShape Bucketed(int batchSize) =>
        new(Math.Max(Rows, batchSize), RoundUp(Width), RoundUp(LossRows), Packed);

    static int RoundUp(int count)
    {
        int granule = Math.Max(64, (1 << System.Numerics.BitOperations.Log2((uint)Math.Max(count, 1))) / 4);
        return (count + granule - 1) / granule * granule;
    }
}

/// <summary>
/// One micro-batch laid out on the host for training: rows padded on the right, and the positions that carry a loss
/// picked here rather than on the device, with their targets and weights (1; 0 for entries that only pad the count). Nothing the device computes then depends on label values, so the forward and backward
/// have fixed shapes and can be captured into a CUDA graph.
/// </summary>
/// <remarks>
/// Right padding needs no attention mask: causal attention keeps every real token from seeing the padding after it,
/// and padded positions carry no loss, so the causal flag alone (SDPA's fused kernels) gives the real tokens' exact
/// values. Packed rows need their segment mask.
/// </remarks>
public sealed class MicroBatch
{
    public required MicroBatchShape Shape { get; init; }
    /// <summary>[Rows × Width] token ids, padding with the pad id.</summary>
    public required long[] InputIds { get; init; }
    /// <summary>[Rows × Width] rotary positions, restarting at each packed example; 0 on padding.</summary>
    public required long[] Positions { get; init; }
    /// <summary>[Rows × Width] packed-sequence ids (0 = padding); null unless <see cref="MicroBatchShape.Packed"/>.</summary>
    public long[]? Segments { get; init; }
    /// <summary>[LossRows] positions into the flattened rows × width hidden states whose next token is learned.</summary>
    public required long[] LossRows { get; init; }
    /// <summary>[LossRows] the token each position predicts.</summary>
    public required long[] LossTargets { get; init; }
    /// <summary>[LossRows] 1 for a learned position, 0 for an entry that only pads the count.</summary>
    public required float[] LossWeights { get; init; }
    /// <summary>Positions that carry a loss (the rest of <see cref="LossRows"/> pads it).</summary>
    public required int TrainedTokens { get; init; }
    /// <summary>Real (unpadded) tokens.</summary>
    public required long Tokens { get; init; }

    /// <param name="bucketRows">With a value, pad the shape up to a few fixed sizes (see
    /// <see cref="MicroBatchShape.Bucketed"/>) with at least this many rows; null keeps the exact shape.</param>
    public static MicroBatch Build(IReadOnlyList<PackedRow> rows, long padId, int? bucketRows = null)
    {
        var loss = new List<long>();
        var targets = new List<long>();
        int width = rows.Max(r => r.Length);
        for (int row = 0; row < rows.Count; row++)
        {
            var labels = rows[row].Labels;
            for (int i = 0; i + 1 < labels.Length; i++)
                if (labels[i + 1] != CausalLmLoss.Ignore)
                {
                    loss.Add((long)row * width + i);
                    targets.Add(labels[i + 1]);
                }
        }
        bool packed = rows.Any(r => r.Segments.Length > 0 && r.Segments[^1] > 1);
        var exact = new MicroBatchShape(rows.Count, width, loss.Count, packed);
        var shape = bucketRows is { } batchSize ? exact.Bucketed(batchSize) : exact;

        var ids = new long[shape.Rows * shape.Width];
        var positions = new long[ids.Length];
        var segments = packed ? new long[ids.Length] : null;
        Array.Fill(ids, padId);
        for (int row = 0; row < rows.Count; row++)
            for (int i = 0; i < rows[row].Length; i++)
            {
                int at = row * shape.Width + i;
                ids[at] = rows[row].InputIds[i];
                positions[at] = rows[row].Positions[i];
                if (segments is not null) segments[at] = rows[row].Segments[i];
            }
        // Loss positions were counted in rows of the exact width; re-base them on the padded width.
        var lossRows = new long[shape.LossRows];
        var lossTargets = new long[shape.LossRows];
        var weights = new float[shape.LossRows];
        for (int j = 0; j < loss.Count; j++)
        {
            lossRows[j] = loss[j] / width * shape.Width + loss[j] % width;
            lossTargets[j] = targets[j];
            weights[j] = 1;
        }
        return new MicroBatch
        {
            Shape = shape, InputIds = ids, Positions = positions, Segments = segments,
            LossRows = lossRows, LossTargets = lossTargets, LossWeights = weights,
            TrainedTokens = loss.Count, Tokens = rows.Sum(r => (long)r.Length),
        };
    }
}

/// <summary>A micro-batch on the device: fresh tensors for one eager step, or fixed ones that a CUDA graph reads.</summary>
public sealed class MicroBatchTensors : IDisposable
{
    public MicroBatchShape Shape { get; }
    public Tensor InputIds { get; }
    public Tensor Positions { get; }
    public Tensor? Segments { get; }
    public Tensor LossRows { get; }
    public Tensor LossTargets { get; }
    public Tensor LossWeights { get; }

    MicroBatchTensors(MicroBatchShape shape, Device device)
    {
        Shape = shape;
        Tensor Tokens() => zeros([shape.Rows, shape.Width], ScalarType.Int64, device).DetachFromDisposeScope();
        InputIds = Tokens();
        Positions = Tokens();
        Segments = shape.Packed ? Tokens() : null;
        LossRows = zeros(shape.LossRows, ScalarType.Int64, device).DetachFromDisposeScope();
        LossTargets = zeros(shape.LossRows, ScalarType.Int64, device).DetachFromDisposeScope();
        LossWeights = zeros(shape.LossRows, ScalarType.Float32, device).DetachFromDisposeScope();
    }

    /// <summary>Tensors of this shape on the device, all zero until <see cref="CopyFrom"/> fills them.</summary>
    public static MicroBatchTensors Allocate(MicroBatchShape shape, Device device) => new(shape, device);

    public static MicroBatchTensors Upload(MicroBatch batch, Device device)
    {
        var tensors = new MicroBatchTensors(batch.Shape, device);
        tensors.CopyFrom(batch);
        return tensors;
    }

    /// <summary>Overwrites these tensors in place (their addresses stay, as a replayed graph needs).</summary>
    public void CopyFrom(MicroBatch batch)
    {
        if (batch.Shape != Shape) throw new ArgumentException($"a micro-batch of shape {batch.Shape} does not fit tensors of shape {Shape}", nameof(batch));
        static void Fill(Tensor destination, Tensor source)
        {
            using (source) destination.copy_(source);
        }
        Fill(InputIds, tensor(batch.InputIds, InputIds.shape));
        Fill(Positions, tensor(batch.Positions, Positions.shape));
        if (Segments is not null) Fill(Segments, tensor(batch.Segments!, Segments.shape));
        Fill(LossRows, tensor(batch.LossRows, LossRows.shape));
        Fill(LossTargets, tensor(batch.LossTargets, LossTargets.shape));
        Fill(LossWeights, tensor(batch.LossWeights, LossWeights.shape));
    }

    /// <summary>What the model's forward takes: no padding mask (right padding is covered by causal attention).</summary>
    public ForwardInput ToForwardInput() => new(InputIds, Positions, Padding: null, Segments: Segments);

    public void Dispose()
    {
        InputIds.Dispose();
        Positions.Dispose();
        Segments?.Dispose();
        LossRows.Dispose();
        LossTargets.Dispose();
        LossWeights.Dispose();
    }
}
