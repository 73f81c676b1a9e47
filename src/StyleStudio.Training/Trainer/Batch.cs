using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>Rows padded on the right to the longest in the batch; padding is masked from attention and loss.</summary>
/// <param name="InputIds">[B, T] int64.</param>
/// <param name="Labels">[B, T] int64, -100 on prompts and padding.</param>
/// <param name="Positions">[B, T] int64 rotary positions (restarting at each packed example).</param>
/// <param name="Padding">[B, T] int64, 1 for real tokens; null when no row is padded.</param>
/// <param name="Segments">[B, T] int64 packed-sequence ids (0 = padding); null unless some row holds several examples.</param>
/// <param name="TrainedTokens">Labels that count towards the loss.</param>
public sealed record Batch(Tensor InputIds, Tensor Labels, Tensor Positions, Tensor? Padding, Tensor? Segments, int TrainedTokens) : IDisposable
{
    public static Batch Collate(IReadOnlyList<PackedRow> rows, long padId, Device device)
    {
        int width = rows.Max(r => r.Length), count = rows.Count;
        var ids = new long[count * width];
        var labels = new long[count * width];
        var positions = new long[count * width];
        var segments = new long[count * width];
        Array.Fill(ids, padId);
        Array.Fill(labels, CausalLmLoss.Ignore);
        for (int row = 0; row < count; row++)
            for (int i = 0; i < rows[row].Length; i++)
            {
                int at = row * width + i;
                ids[at] = rows[row].InputIds[i];
                labels[at] = rows[row].Labels[i];
                positions[at] = rows[row].Positions[i];
                segments[at] = rows[row].Segments[i];
            }
        bool packed = rows.Any(r => r.Segments.Length > 0 && r.Segments[^1] > 1);
        bool padded = rows.Any(r => r.Length < width);
        Tensor? Make(long[] values) => tensor(values, [count, width], device: device).DetachFromDisposeScope();
        return new Batch(Make(ids)!, Make(labels)!, Make(positions)!,
            padded && !packed ? Make(segments.Select(s => s == 0 ? 0L : 1L).ToArray()) : null,
            packed ? Make(segments) : null,
            rows.Sum(r => r.TrainedTokens));
    }

    public ForwardInput ToForwardInput() => new(InputIds, Positions, Padding, Segments: Segments);

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        Positions.Dispose();
        Padding?.Dispose();
        Segments?.Dispose();
    }
}
