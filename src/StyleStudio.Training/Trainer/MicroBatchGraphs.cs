using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// A training run's forward and backward passes as CUDA graphs, one per micro-batch shape: a replay issues the
/// thousands of kernels of a step with one launch, where issuing them one by one from .NET leaves the GPU waiting
/// (launch overhead dominated small models' steps). A shape's first micro-batch is captured, then replayed like all
/// later ones.
/// </summary>
/// <remarks>
/// What a replay reads and writes must stay at the addresses the capture saw: each shape has fixed input tensors
/// (refilled in place), gradients accumulate into the optimizer's flat buffers and the loss into a tensor of the
/// trainer's, all allocated outside the graphs. Everything a graph allocates is released by its end, so all graphs of
/// a run share one memory pool: they hold one activation peak between them, not one each, and it goes with them when
/// the run ends. Captures run no warm-up:
/// a warm-up would leave its own activation peak cached beside the pool (measured: a 7B step's memory grew from 25 to
/// 39 GiB with an eager first run and a warm-up of the same shape). What would initialise lazily is set up once by a
/// small warm-up (see <see cref="WarmUp"/>); cuBLAS workspaces for the capture stream and kernel modules are set up
/// during capture (the workspaces from the graph's pool).
/// </remarks>
sealed class MicroBatchGraphs(Device device, Action<MicroBatchTensors> step) : IDisposable
{
    sealed class Entry(MicroBatchTensors inputs)
    {
        public MicroBatchTensors Inputs { get; } = inputs;
        public CudaGraph? Graph { get; set; }
    }

    readonly Dictionary<MicroBatchShape, Entry> entries = [];
    CudaGraph? poolHolder;

    public const string NotOnCuda = "not on CUDA";

    /// <summary>Whether a run of <paramref name="model"/> can use graphs, or why not (null = it can).</summary>
    public static string? Unsupported(Models.CausalLM model, bool requested)
    {
        if (model.Device.type != TorchSharp.DeviceType.CUDA) return NotOnCuda;
        if (!requested) return "turned off";
        if (!CudaGraph.IsAvailable) return "this libtorch does not export the CUDA graph API";
        if (model.DrawsRandomNumbers) return "adapter dropout draws random numbers at every step";
        if (model.OffloadCheckpoints) return "checkpoints offloaded to host memory";
        return null;
    }

    /// <summary>Shapes captured so far.</summary>
    public int Captured => entries.Values.Count(e => e.Graph is not null);

    /// <summary>Micro-batches run from a graph so far (each shape's first included: capturing runs nothing).</summary>
    public long Replays { get; private set; }

    /// <summary>Why graphs stopped being used in this run (a capture failed); null while they are.</summary>
    public string? Failure { get; private set; }

    /// <summary>Runs the micro-batch's forward and backward from its shape's graph, capturing it first if need be. A
    /// capture that fails turns graphs off for the rest of the run (see <see cref="Failure"/>) and runs it eagerly.</summary>
    public void Run(MicroBatch batch)
    {
        if (!entries.TryGetValue(batch.Shape, out var entry))
            entries[batch.Shape] = entry = new Entry(MicroBatchTensors.Allocate(batch.Shape, device));
        entry.Inputs.CopyFrom(batch);
        if (entry.Graph is null)
        {
            try
            {
                // The first capture's small warm-up runs on its capture stream, which the later captures share: what
                // the warm-up leaves set up (libraries' state, autograd's per-parameter accumulators) is tied to it.
                entry.Graph = CudaGraph.Capture(device, () => step(entry.Inputs), warmups: 0, sharePoolWith: poolHolder, retire: false,
                    prepare: poolHolder is null ? () => WarmUp(batch) : null);
            }
            catch (CudaGraphCaptureException failure)
            {
                Failure = failure.Message;
                step(entry.Inputs);
                return;
            }
            poolHolder ??= entry.Graph;
        }
        entry.Graph.Replay();
        Replays++;
    }

    /// <summary>
    /// Runs a few tokens of the first micro-batch eagerly with zero loss weights (adding exact zeros to the gradients and
    /// the loss) before the first capture: libraries that set themselves up on first use — cuBLAS creates its handles
    /// per thread, the backward runs on autograd's own thread — may not do so inside a capture (measured: the first
    /// capture of a fresh process was invalidated). A whole micro-batch would do too, but would leave its activations
    /// cached beside the graphs' pool. It runs on the capture stream: run on the default (legacy) stream, it left autograd
    /// state tied to that stream, and a captured backward through our fused kernels' nodes then waited on the legacy
    /// stream, which invalidated the capture.
    /// </summary>
    void WarmUp(MicroBatch batch)
    {
        int tokens = (int)Math.Min(8, batch.Tokens);
        var ids = batch.InputIds[..tokens].Select(id => (int)id).ToArray();
        var row = new Sft.PackedRow(ids, ids.Select(id => (long)id).ToArray(), [.. Enumerable.Repeat(1L, tokens)],
            [.. Enumerable.Range(0, tokens).Select(p => (long)p)]);
        var small = MicroBatch.Build([row], padId: 0);
        Array.Clear(small.LossWeights);
        using var inputs = MicroBatchTensors.Upload(small, device);
        step(inputs);
    }

    public void Dispose()
    {
        foreach (var entry in entries.Values)
        {
            entry.Graph?.Dispose();
            entry.Inputs.Dispose();
        }
        entries.Clear();
    }
}
