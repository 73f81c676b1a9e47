using StyleStudio.Training.Objectives;
using StyleStudio.Training.Sft;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>Examples padded on the right to the longest in the batch; padding is masked from attention and loss.</summary>
/// <param name="InputIds">[B, T] int64.</param>
/// <param name="Labels">[B, T] int64, -100 on prompts and padding.</param>
/// <param name="Padding">[B, T] int64, 1 for real tokens; null when no row is padded.</param>
/// <param name="TrainedTokens">Labels that count towards the loss.</param>
public sealed record Batch(Tensor InputIds, Tensor Labels, Tensor? Padding, int TrainedTokens) : IDisposable
{
    public static Batch Collate(IReadOnlyList<EncodedExample> examples, long padId, Device device)
    {
        int width = examples.Max(e => e.Length), rows = examples.Count;
        var ids = new long[rows * width];
        var labels = new long[rows * width];
        var real = new long[rows * width];
        Array.Fill(ids, padId);
        Array.Fill(labels, CausalLmLoss.Ignore);
        for (int row = 0; row < rows; row++)
            for (int i = 0; i < examples[row].Length; i++)
            {
                ids[row * width + i] = examples[row].InputIds[i];
                labels[row * width + i] = examples[row].Labels[i];
                real[row * width + i] = 1;
            }
        bool padded = examples.Any(e => e.Length < width);
        return new Batch(
            tensor(ids, [rows, width], device: device).DetachFromDisposeScope(),
            tensor(labels, [rows, width], device: device).DetachFromDisposeScope(),
            padded ? tensor(real, [rows, width], device: device).DetachFromDisposeScope() : null,
            examples.Sum(e => e.TrainedTokens));
    }

    public void Dispose()
    {
        InputIds.Dispose();
        Labels.Dispose();
        Padding?.Dispose();
    }
}
