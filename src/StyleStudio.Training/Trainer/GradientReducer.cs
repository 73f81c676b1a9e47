using StyleStudio.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Trainer;

/// <summary>
/// Sums data-parallel replicas' gradient buffers, leaving the sum in every replica's buffer (an all-reduce), so that
/// each replica's optimizer takes the same step. Over distinct GPUs with NCCL present it is NCCL's; otherwise the
/// buffers are summed through device copies (replicas sharing a device, CPU replicas, or GPUs without NCCL).
/// </summary>
abstract class GradientReducer : IDisposable
{
    /// <summary>How the sums are made, for a run's summary.</summary>
    public abstract string Description { get; }

    /// <summary>Buffer i belongs to replica i; all have the same size and dtype.</summary>
    public abstract void AllReduceSum(IReadOnlyList<Tensor> buffers);

    public virtual void Dispose() { }

    public static GradientReducer For(IReadOnlyList<Device> devices)
    {
        bool distinctGpus = devices.All(d => d.type == DeviceType.CUDA && d.index >= 0)
            && devices.Select(d => d.index).Distinct().Count() == devices.Count;
        return distinctGpus && NcclCommunicators.Unavailable is null
            ? new NcclReducer(NcclCommunicators.Create(devices.Select(d => d.index).ToList()))
            : new CopyReducer(distinctGpus ? NcclCommunicators.Unavailable : null);
    }

    sealed class NcclReducer(NcclCommunicators communicators) : GradientReducer
    {
        public override string Description => $"gradients summed by NCCL {NcclCommunicators.Version}";
        public override void AllReduceSum(IReadOnlyList<Tensor> buffers) => communicators.AllReduceSum(buffers);
        public override void Dispose() => communicators.Dispose();
    }

    /// <summary>Replica 0's buffer collects the others' in replica order (the same sum every step), then is copied back.</summary>
    sealed class CopyReducer(string? whyNotNccl) : GradientReducer
    {
        public override string Description => "gradients summed through device copies" + (whyNotNccl is null ? "" : $" ({whyNotNccl})");

        public override void AllReduceSum(IReadOnlyList<Tensor> buffers)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var sum = buffers[0];
            foreach (var other in buffers.Skip(1)) sum.add_(other.to(sum.device));
            foreach (var other in buffers.Skip(1)) other.copy_(sum);
        }
    }
}
