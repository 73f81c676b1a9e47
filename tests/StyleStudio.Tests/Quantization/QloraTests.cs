using StyleStudio.Tests.Support;
using StyleStudio.Training;
using StyleStudio.Training.Adapters;
using StyleStudio.Training.Models;
using StyleStudio.Training.Quantization;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Trainer;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Quantization;

/// <summary>QLoRA: a base model whose decoder projections are NF4, trained through LoRA adapters.</summary>
[Collection(TorchGlobalRandom.Name)]
public class QloraTests
{
    static PretrainedModel Load(bool quantize) => PretrainedModel.Load(Fixtures.Model("qwen2"),
        new ModelLoadOptions(DevicePreference.Cpu, ScalarType.Float32, Quantize4Bit: quantize));

    [Fact]
    public void Nf4_linear_forward_and_input_gradient_equal_a_dense_linear_over_the_dequantized_weight()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(2);
        var weight = randn([48, 64], generator: generator) * 0.05;
        var bias = randn([48], generator: generator);
        using var layer = new Nf4Linear(weight, bias, CPU);
        var dense = layer.DenseWeight(ScalarType.Float32);
        var x = randn([3, 5, 64], generator: generator).requires_grad_(true);
        var upstream = randn([3, 5, 48], generator: generator);

        var y = layer.forward(x);
        y.backward([upstream]);
        var expected = nn.functional.linear(x, dense, bias);
        Assert.True((y - expected).abs().max().item<float>() < 1e-5);
        Assert.True((x.grad! - upstream.matmul(dense)).abs().max().item<float>() < 1e-5);
        using (no_grad())
            Assert.True((layer.forward(x) - expected).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Quantized_load_keeps_no_dense_projection_and_stays_close_to_the_dense_model()
    {
        using var dense = Load(quantize: false);
        using var quantized = Load(quantize: true);
        Assert.True(quantized.Network.IsQuantized);
        Assert.DoesNotContain(quantized.Network.named_parameters(), p => p.name.Contains("_proj."));
        Assert.All(quantized.Network.Model.Layers, layer =>
            Assert.All(layer.SelfAttention.BaseLayers.Values.Concat(layer.Mlp.BaseLayers.Values), p => Assert.IsType<Nf4Linear>(p)));

        using var scope = NewDisposeScope();
        var ids = tensor(Enumerable.Range(0, 16).Select(i => (long)(i * 53 % dense.Config.VocabSize)).ToArray(), [1, 16]);
        var input = new ForwardInput(ids, arange(16L).unsqueeze(0));
        var expected = dense.Network.Forward(input);
        var actual = quantized.Network.Forward(input);
        // NF4 keeps ~3 significant bits per weight: logits move, but stay well within their own spread.
        double relative = ((actual - expected).norm() / expected.norm()).item<float>();
        Assert.InRange(relative, 1e-4, 0.25);
    }

    [Fact]
    public void Lora_on_a_4_bit_base_learns_with_gradient_checkpointing_and_refuses_to_merge_into_it()
    {
        using var model = Load(quantize: true);
        LoraInjector.Apply(model.Network, new LoraConfig { Rank = 16, Alpha = 32 }, seed: 1);
        model.Network.GradientCheckpointing = true;
        var examples = TinyStyleRun.Examples(model);
        var result = new SftTrainer(model.Network, TinyStyleRun.Options).Run(examples, cancellation: TestContext.Current.CancellationToken);
        TinyStyleRun.AssertLearned(result);

        var error = Assert.Throws<NotSupportedException>(() => LoraInjector.MergeAll(model.Network));
        Assert.Contains("4-bit", error.Message);
    }
}
