using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;
using StyleStudio.Training.Objectives;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Trainer;

/// <summary>Gradient checkpointing recomputes exactly what it dropped, dropout included.</summary>
[Collection(TorchGlobalRandom.Name)]
public class GradientCheckpointingTests
{
    static Dictionary<string, Tensor> Gradients(bool checkpointing, double dropout, bool padded)
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 4, Alpha = 8, Dropout = dropout }, seed: 3);
        // Nonzero B, so that every adapter gradient depends on the recomputed activations.
        using (no_grad())
            foreach (var adapter in LoraInjector.Adapters(model.Network))
                adapter.LoraB.Weight.normal_(0, 0.05, new Generator(5));
        model.Network.GradientCheckpointing = checkpointing;
        model.Network.train();
        manual_seed(21);
        var ids = tensor(Enumerable.Range(0, 24).Select(i => (long)(i * 37 % 500)).ToArray(), [2, 12]);
        // Padded: the second row ends in 4 padding tokens, so every layer also carries an explicit attention mask.
        var padding = padded ? cat([ones(1, 12, ScalarType.Int64), cat([ones(1, 8, ScalarType.Int64), zeros(1, 4, ScalarType.Int64)], 1)], 0) : null;
        var labels = padded ? ids.masked_fill(padding!.eq(0), CausalLmLoss.Ignore) : ids;
        var input = new ForwardInput(ids, arange(12L).expand(2, 12), padding);
        HiddenStateLoss.Sum(model.Network.ForwardHidden(input), model.Network.OutputWeight, labels).backward();
        return model.Network.named_parameters().Where(p => p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.grad!.clone().DetachFromDisposeScope());
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.3, false)]
    [InlineData(0.3, true)]
    public void Gradients_equal_those_without_checkpointing(double dropout, bool padded)
    {
        var plain = Gradients(checkpointing: false, dropout, padded);
        var checkpointed = Gradients(checkpointing: true, dropout, padded);
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        foreach (var (name, expected) in plain)
        {
            double error = (checkpointed[name] - expected).abs().max().item<float>();
            Assert.True(error <= 1e-6 * Math.Max(1, expected.abs().max().item<float>()), $"{name}: |Δ| {error:E2}");
        }
        Assert.Contains(plain.Values, g => g.abs().max().item<float>() > 0);
    }
}
