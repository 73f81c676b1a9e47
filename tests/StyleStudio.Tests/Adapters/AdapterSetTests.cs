using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Checkpoints;
using StyleStudio.Training.Models;
using StyleStudio.Training.Runtime;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Adapters;

/// <summary>Several PEFT adapters on one base: each, when active, gives PEFT's logits for it; none gives the base's.</summary>
public class AdapterSetTests
{
    static readonly long[] Ids = [5, 17, 300, 42, 99, 7, 8, 9, 400, 401, 402, 12, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

    static Tensor Logits(CausalLM model)
    {
        using var noGrad = no_grad();
        var ids = tensor(Ids, [2, 12]);
        return model.Forward(new ForwardInput(ids, arange(12).expand(2, 12)));
    }

    static Tensor PeftLogits(string variant)
    {
        using var reference = new SafetensorsFile(Path.Combine(Fixtures.Root, "peft", variant, "reference.safetensors"));
        var logits = empty(reference.Entries["logits"].Shape, ScalarType.Float32);
        reference.ReadInto("logits", logits);
        return logits;
    }

    [Fact]
    public void Switching_adapters_gives_each_adapters_own_logits_and_none_gives_the_base()
    {
        using var model = PretrainedModel.Load(Fixtures.Model("qwen2"), new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32));
        using var scope = NewDisposeScope();
        var baseLogits = Logits(model.Network);
        using var adapters = new AdapterSet(model.Network);
        adapters.Load("casual", Path.Combine(Fixtures.Root, "peft", "lora"));
        adapters.Load("classical", Path.Combine(Fixtures.Root, "peft", "dora"));
        Assert.Null(adapters.Active);
        Assert.True((Logits(model.Network) - baseLogits).abs().max().item<float>() == 0, "loading must not change the active model");

        foreach (var (name, variant) in new[] { ("classical", "dora"), ("casual", "lora"), ("classical", "dora") })
        {
            adapters.Activate(name);
            Assert.True((Logits(model.Network) - PeftLogits(variant)).abs().max().item<float>() < 1e-4, $"{name} differs from PEFT");
            Assert.Equal(14, model.Network.named_parameters().Count(p => p.name.EndsWith("lora_A.weight")));
        }

        adapters.Activate(null);
        Assert.True((Logits(model.Network) - baseLogits).abs().max().item<float>() == 0);
        Assert.DoesNotContain(model.Network.named_parameters(), p => p.name.Contains("lora_"));
        adapters.Remove("casual");
        Assert.Equal(["classical"], adapters.Names);
        Assert.Throws<ArgumentException>(() => adapters.Activate("casual"));
    }
}
