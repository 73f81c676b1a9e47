using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// Data-parallel training on GPUs: NCCL's all-reduce over every GPU of the machine, and copies of the model — two on one
/// GPU (summed through device copies), or one on each GPU (summed by NCCL) — following the loss curve of one copy with
/// the same global batch, with forward and backward replayed from CUDA graphs. The tests that need two GPUs skip on a
/// machine with one.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaDataParallelTests
{
    static int RequireGpus(int count)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        int present = torch.cuda.device_count();
        if (present < count) Assert.Skip($"needs {count} GPUs; this machine has {present}");
        return present;
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1_000_003)]
    [InlineData(ScalarType.BFloat16, 4_099)]
    public void Nccl_sums_a_buffer_over_every_gpu_of_the_machine(ScalarType dtype, long size)
    {
        int gpus = RequireGpus(1);
        Assert.Null(NcclCommunicators.Unavailable);
        TestContext.Current.TestOutputHelper?.WriteLine($"NCCL {NcclCommunicators.Version} over {gpus} GPU(s)");
        using var communicators = NcclCommunicators.Create(Enumerable.Range(0, gpus).ToList());
        var buffers = Enumerable.Range(0, gpus).Select(i => full([size], i + 1, dtype, torch.device(DeviceType.CUDA, i))).ToList();
        buffers[0][size - 1] = 100;                 // one element differs, so a sum that skips an element shows
        communicators.AllReduceSum(buffers);
        double expected = gpus * (gpus + 1) / 2.0;
        foreach (var buffer in buffers)
        {
            var values = buffer.to(ScalarType.Float32).cpu();
            Assert.Equal(expected, values[..(int)(size - 1)].min().item<float>());
            Assert.Equal(expected, values[..(int)(size - 1)].max().item<float>());
            Assert.Equal(expected - 1 + 100, values[size - 1].item<float>());
        }
    }

    [Fact]
    public void Nccl_refuses_one_gpu_listed_twice()
    {
        RequireGpus(1);
        var error = Assert.Throws<ArgumentException>(() => NcclCommunicators.Create([0, 0]));
        Assert.Contains("NCCL needs distinct GPUs", error.Message);
    }

    static TrainingOptions Options(int accumulation) => new()
    {
        LearningRate = 3e-3, Epochs = 6, BatchSize = 2, GradientAccumulation = accumulation, WarmupSteps = 1, Seed = 5,
    };

    /// <summary>Trains <paramref name="copies"/> (given by GPU index) with accumulation 1 and one copy on cuda:0 with
    /// accumulation = copies, and compares them step by step and in their adapter weights.</summary>
    static TrainingResult TrainAndCompare(IReadOnlyList<int> copies)
    {
        var cancel = TestContext.Current.CancellationToken;
        var onGpu = (int index) => new ModelLoadOptions(DevicePreference.Cuda, ScalarType.Float32) { GpuIndex = index };
        var (single, examples) = DataParallelTests.Load([onGpu(0)]);
        using var one = single[0];
        var expected = new SftTrainer(one.Network, Options(copies.Count)).Run(examples, cancellation: cancel);

        var (many, _) = DataParallelTests.Load(copies.Select(onGpu).ToList());
        try
        {
            var result = new SftTrainer(many.Select(m => m.Network).ToList(), Options(1)).Run(examples, cancellation: cancel);
            Assert.Equal(expected.Steps.Count, result.Steps.Count);
            foreach (var (want, got) in expected.Steps.Zip(result.Steps))
                Assert.Equal(want.Loss, got.Loss, 1e-4);
            Assert.True(result.Steps[^1].Loss < result.Steps[0].Loss - 0.05, $"loss {result.Steps[0].Loss} → {result.Steps[^1].Loss}");
            var reference = DataParallelTests.AdapterWeights(one);
            double largest = reference.Max(w => w.abs().max().item<float>());
            foreach (var copy in many)
                foreach (var (want, got) in reference.Zip(DataParallelTests.AdapterWeights(copy)))
                    Assert.True(want.allclose(got, rtol: 0, atol: 1e-4 * largest), $"adapter weights on {copy.Network.Device} differ from the single copy's");
            // Every micro-batch of every copy ran from a graph (7 examples in batches of 2: 4 micro-batches an epoch).
            Assert.Null(result.Graphs!.Off);
            Assert.Equal(4 * 6, result.Graphs.Replays);
            return result;
        }
        finally
        {
            many.ForEach(m => m.Dispose());
        }
    }

    [Fact]
    public void Two_copies_on_one_gpu_follow_one_copy_with_the_same_global_batch()
    {
        RequireGpus(1);
        var result = TrainAndCompare([0, 0]);
        Assert.StartsWith("gradients summed through device copies", result.Reduction);
    }

    [Fact]
    public void A_copy_on_every_gpu_follows_one_gpu_with_the_same_global_batch()
    {
        int gpus = RequireGpus(2);
        var result = TrainAndCompare(Enumerable.Range(0, gpus).ToList());
        Assert.StartsWith("gradients summed by NCCL", result.Reduction);
    }
}
