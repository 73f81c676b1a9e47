using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>
/// Gradient checkpointing recomputes exactly what it dropped, dropout included; so do checkpoints offloaded to host
/// memory and the MLP run over slices of the sequence (the long-context options).
/// </summary>
[Collection(TorchGlobalRandom.Name)]
public class GradientCheckpointingTests
{
    internal static Dictionary<string, Tensor> Gradients(bool checkpointing, double dropout, bool padded, bool offload = false,
        long? mlpChunkTokens = null, DevicePreference device = DevicePreference.Cpu)
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(device, ScalarType.Float32));
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8, Dropout = dropout }, seed: 3);
        // Nonzero B, so that every adapter gradient depends on the recomputed activations.
        using (no_grad())
            foreach (var adapter in LoraInjector.Adapters(model.Network))
                adapter.LoraB.Weight.copy_(empty(adapter.LoraB.Weight.shape).normal_(0, 0.05, new Generator(5)));
        model.Network.GradientCheckpointing = checkpointing;
        model.Network.OffloadCheckpoints = offload;
        model.Network.MlpChunkTokens = mlpChunkTokens;
        model.Network.train();
        manual_seed(21);
        var on = model.Network.Device;
        var ids = tensor(Enumerable.Range(0, 24).Select(i => (long)(i * 37 % 500)).ToArray(), [2, 12]).to(on);
        // Padded: the second row ends in 4 padding tokens, so every layer also carries an explicit attention mask.
        var padding = padded ? cat([ones(1, 12, ScalarType.Int64), cat([ones(1, 8, ScalarType.Int64), zeros(1, 4, ScalarType.Int64)], 1)], 0).to(on) : null;
        var labels = padded ? ids.masked_fill(padding!.eq(0), CausalLmLoss.Ignore) : ids;
        var input = new ForwardInput(ids, arange(12L, device: on).expand(2, 12), padding);
        HiddenStateLoss.Sum(model.Network.ForwardHidden(input), model.Network.OutputWeight, labels).backward();
        return model.Network.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone().DetachFromDisposeScope());
    }

    internal static void AssertSame(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double tolerance = 1e-6)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, value) in expected)
        {
            double error = (actual[name] - value).abs().max().item<float>();
            Assert.True(error <= tolerance * Math.Max(1, value.abs().max().item<float>()), $"{name}: |Δ| {error:E2}");
        }
        Assert.Contains(expected.Values, g => g.abs().max().item<float>() > 0);
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.3, false)]
    [InlineData(0.3, true)]
    public void Gradients_equal_those_without_checkpointing(double dropout, bool padded) =>
        AssertSame(Gradients(checkpointing: false, dropout, padded), Gradients(checkpointing: true, dropout, padded));

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Checkpoints_offloaded_to_host_memory_give_the_same_gradients(double dropout) =>
        AssertSame(Gradients(checkpointing: true, dropout, padded: true),
            Gradients(checkpointing: true, dropout, padded: true, offload: true), tolerance: 0);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_mlp_over_slices_of_the_sequence_gives_the_same_gradients(bool checkpointing)
    {
        // 24 tokens, at most 10 per slice: slices of 5, 5 and 2 positions per row. Products over fewer rows may round
        // differently on the CPU, hence a tolerance instead of equality.
        AssertSame(Gradients(checkpointing: false, 0.0, padded: true),
            Gradients(checkpointing, 0.0, padded: true, mlpChunkTokens: 10), tolerance: 1e-5);
    }

    [Fact]
    public void Sliced_mlp_replays_its_dropout_when_checkpointed()
    {
        // Slicing draws dropout per slice (other masks than the whole sequence's), but the same ones in the
        // recomputation as in the forward.
        AssertSame(Gradients(checkpointing: false, 0.3, padded: false, mlpChunkTokens: 10),
            Gradients(checkpointing: true, 0.3, padded: false, offload: true, mlpChunkTokens: 10));
    }
}

/// <summary>The long-context options on CUDA, where checkpoints go to pinned host memory through asynchronous copies.</summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CudaLongContextTests
{
    [Fact]
    public void Offloaded_checkpoints_and_the_sliced_mlp_give_the_same_gradients_on_cuda()
    {
        if (!TorchSharp.torch.TryInitializeDeviceType(TorchSharp.DeviceType.CUDA) || !cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        var kept = GradientCheckpointingTests.Gradients(checkpointing: true, 0.3, padded: true, device: DevicePreference.Cuda);
        var offloaded = GradientCheckpointingTests.Gradients(checkpointing: true, 0.3, padded: true, offload: true, device: DevicePreference.Cuda);
        GradientCheckpointingTests.AssertSame(kept, offloaded, tolerance: 0);
        var whole = GradientCheckpointingTests.Gradients(checkpointing: true, 0.0, padded: true, device: DevicePreference.Cuda);
        var sliced = GradientCheckpointingTests.Gradients(checkpointing: true, 0.0, padded: true, offload: true, mlpChunkTokens: 10,
            device: DevicePreference.Cuda);
        GradientCheckpointingTests.AssertSame(whole, sliced, tolerance: 1e-5);
    }
}
