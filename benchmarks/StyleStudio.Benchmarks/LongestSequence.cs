using System.Diagnostics;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Sft;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Benchmarks;

/// <summary>
/// The longest sequence a training step fits under a device-memory cap (a smaller card simulated on a large one): batch
/// 1, LoRA on every linear layer, gradient checkpointing, lengths tried from the shortest until one runs out of memory.
/// tools/reference/bench_peft_longest.py does the same with transformers + PEFT.
/// </summary>
static class LongestSequence
{
    public static object Run(string shape, bool qlora, int rank, IReadOnlyList<int> sequences, ComputeDevice device, double? capGiB, bool offload)
    {
        using var ballast = DeviceBallast.Leave(capGiB, device);
        using var model = RandomWeights.Model(shape, ScalarType.BFloat16, device.Device, qlora, maxPositions: sequences.Max());
        LoraInjector.Apply(model, new LoraConfig { Rank = rank, Alpha = 2 * rank });
        model.GradientCheckpointing = true;
        model.OffloadCheckpoints = offload;
        model.MlpChunkTokens = offload ? LongContext.MlpSliceTokens : null;
        var rows = new List<object>();
        int? longest = null;
        var random = new Random(0);
        foreach (int sequence in sequences.Order())
        {
            var examples = Enumerable.Range(0, 2).Select(_ =>
            {
                var ids = Enumerable.Range(0, sequence).Select(_ => random.Next(model.Config.VocabSize)).ToArray();
                return new EncodedExample(ids, ids.Select(i => (long)i).ToArray());
            }).ToList();
            var events = new List<TrainingEvent>();
            var clock = Stopwatch.StartNew();
            try
            {
                new SftTrainer(model, new TrainingOptions { LearningRate = 1e-4, Epochs = 1, BatchSize = 1, GradientAccumulation = 1, MaxSteps = 2 })
                    .Run(examples, new CollectingProgress(events));
            }
            catch (Exception e) when (e.ToString().Contains("out of memory", StringComparison.OrdinalIgnoreCase))
            {
                rows.Add(new { sequence, fits = false, error = e.Message.Split('\n')[0] });
                Progress(rows[^1]);
                break;
            }
            longest = sequence;
            rows.Add(new
            {
                sequence, fits = true,
                step_seconds = events.Count == 2 ? events[1].ElapsedSeconds - events[0].ElapsedSeconds : clock.Elapsed.TotalSeconds / 2,
                device_memory_in_use_under_cap = events.Max(e => e.MemoryBytes ?? 0) - (ballast?.Bytes ?? 0),
                loss = events[^1].Loss,
            });
            Progress(rows[^1]);
        }
        return new
        {
            shape, qlora, rank, batch = 1, gradient_checkpointing = true, offload_checkpoints = offload,
            mlp_slice_tokens = model.MlpChunkTokens,
            device_memory_cap_gib = capGiB, ballast_bytes = ballast?.Bytes ?? 0,
            longest_sequence = longest, rows,
        };
    }

    /// <summary>Each length's row as it is measured (stderr), so a run cut off by a time limit still reports the lengths done.</summary>
    static void Progress(object row) => Console.Error.WriteLine(System.Text.Json.JsonSerializer.Serialize(row));
}

/// <summary>
/// Takes all but the given GiB of a CUDA device with one allocation, so that what follows meets a card of that size (the
/// CUDA context, counted in the GiB as on a real card, included). Freed on dispose.
/// </summary>
sealed class DeviceBallast : IDisposable
{
    readonly Tensor block;

    DeviceBallast(Tensor block) => this.block = block;

    public long Bytes => block.NumberOfElements;

    public static DeviceBallast? Leave(double? gib, ComputeDevice device)
    {
        if (gib is not { } keep) return null;
        if (!device.IsCuda || device.TotalMemoryBytes is not { } total)
            throw new ArgumentException("--max-device-memory needs a CUDA device whose size NVML reports");
        long take = total - (long)(keep * (1L << 30));
        if (take <= 0) throw new ArgumentException($"the device has {total / (double)(1L << 30):N1} GiB: nothing to hold back for {keep} GiB");
        return new DeviceBallast(empty([take], ScalarType.Byte, device.Device).DetachFromDisposeScope());
    }

    public void Dispose() => block.Dispose();
}
