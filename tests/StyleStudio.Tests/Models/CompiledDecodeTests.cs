using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models;

/// <summary>
/// The compiled step's two forms: with the cache slot as a number (attending over the filled slots) and as a tensor
/// (attending over the whole cache with a mask, as captured into CUDA graphs). Both must decode identically.
/// </summary>
public class CompiledDecodeTests
{
    [Theory, MemberData(nameof(ModelParityTests.Models), MemberType = typeof(ModelParityTests))]
    public void Slot_tensor_step_gives_the_slot_number_steps_logits(string name)
    {
        using var model = PretrainedModel.Load(Fixtures.Model(name), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        var network = model.Network;
        var decoder = network.CompiledDecoder!;
        var reference = Reference.For(name);
        using var scope = NewDisposeScope();
        using var no = no_grad();
        var ids = Reference.Ids(reference.BatchInputIds);
        var padding = Reference.Ids(reference.BatchAttentionMask);
        long batch = ids.shape[0], width = ids.shape[1], capacity = width + 12;   // past the mistral fixture's window of 8
        var keyValid = cat([padding.to(ScalarType.Bool), ones([batch, capacity - width], ScalarType.Bool)], 1);
        using var byNumber = new KvCache(network.Config, batch, capacity, network.DType, network.Device);
        using var byTensor = new KvCache(network.Config, batch, capacity, network.DType, network.Device);
        foreach (var cache in new[] { byNumber, byTensor })
            network.Forward(new ForwardInput(ids, CausalLM.PositionsFromPadding(padding), padding, cache, LastPositionOnly: true));

        var positions = padding.sum(1);
        var next = ids[.., ^1..];
        for (int step = 0; step < capacity - width; step++)
        {
            var expected = decoder.Step(next, positions, keyValid, padded: true, byNumber);
            var actual = decoder.StepAt(next, positions, tensor(new[] { byTensor.Length }), keyValid, byTensor);
            byTensor.Advance(1);
            double error = (actual - expected).abs().max().item<float>();
            Assert.True(error < 1e-5, $"{name} step {step}: max |Δlogit| {error:E2}");
            next = expected.argmax(-1, keepdim: true);
            positions = positions + 1;
        }
    }
}
