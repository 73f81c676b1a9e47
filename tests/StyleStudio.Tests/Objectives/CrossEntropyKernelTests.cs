using StyleStudio.Tests.Support;
using StyleStudio.Training.Objectives;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Objectives;

/// <summary>
/// The fused cross-entropy kernel against the op sequence it replaces (fp32 softmax over a copy of the logits, the loss,
/// weight × (softmax − one-hot) rounded to the logits' dtype): each row's loss to fp32 rounding, the gradient within one
/// rounding of the dtype; Qwen's vocabulary and sizes that take the one-element path; zero-weight (padding) rows.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class CrossEntropyKernelTests
{
    static void RequireCuda()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, 37, 151936)]
    [InlineData(ScalarType.BFloat16, 5, 1001)]
    [InlineData(ScalarType.Float16, 9, 32000)]
    [InlineData(ScalarType.Float32, 4, 4099)]
    [InlineData(ScalarType.Float32, 64, 128256)]
    public void The_kernel_gives_the_op_sequences_losses_and_gradients(ScalarType dtype, int rows, int vocab)
    {
        RequireCuda();
        using var scope = NewDisposeScope();
        var device = torch.CUDA;
        using var generator = new Generator(11);
        var logits = (randn([rows, vocab], generator: generator) * 4).to(dtype, device);
        var targets = randint(0, vocab, [rows], generator: generator).to(device);
        var weights = rand([rows], generator: generator).to(device);
        weights[0] = 0;                                             // a padding entry
        Assert.True(CrossEntropyKernel.Serves(logits));

        // The op sequence of HiddenStateLoss before the kernel.
        var wide = logits.to(ScalarType.Float32);
        var picked = wide.gather(1, targets.unsqueeze(1));
        var max = wide.amax([1], keepdim: true);
        var sums = (wide - max).exp().sum(1, keepdim: true);
        var expectedLoss = ((sums.log() + max - picked) * weights.unsqueeze(1)).squeeze(1);
        var expectedGrad = ((wide - max).exp() / sums.div(weights.unsqueeze(1)))
            .scatter_add(1, targets.unsqueeze(1), weights.unsqueeze(1).neg()).to(dtype);

        var gradient = logits.clone();
        var loss = CrossEntropyKernel.LossAndGradientInPlace(gradient, targets, weights);

        Assert.True(loss.allclose(expectedLoss, rtol: 1e-5, atol: 1e-5),
            $"loss differs by up to {(loss - expectedLoss).abs().max().item<float>()}");
        double tolerance = dtype switch { ScalarType.BFloat16 => 1.0 / 128, ScalarType.Float16 => 1.0 / 1024, _ => 1e-5 };
        var k = gradient.to(ScalarType.Float32);
        var o = expectedGrad.to(ScalarType.Float32);
        var excess = ((k - o).abs() - (o.abs() * tolerance + 1e-7)).max().item<float>();
        double exact = k.eq(o).to(ScalarType.Float32).mean().item<float>();
        Assert.True(excess <= 0, $"gradient ({dtype}, {rows}×{vocab}) off by more than one rounding ({excess:G3} beyond); {exact:P1} exact");
        Assert.True(k[0].eq(0).all().item<bool>(), "a zero-weight row has no gradient");
        TestContext.Current.SendDiagnosticMessage($"{dtype} {rows}×{vocab}: {exact:P2} of gradients bit-equal to the op sequence's");
    }

    [Fact]
    public void The_chunked_loss_on_the_gpu_equals_the_cpu_op_sequence()
    {
        RequireCuda();
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        var hidden = randn([2, 50, 64], generator: generator);
        var weight = randn([3001, 64], generator: generator) * 0.2;
        var rows = tensor(Enumerable.Range(0, 70).Select(i => (long)i).ToArray());
        var targets = randint(0, 3001, [70], generator: generator);
        var weights = rand([70], generator: generator);

        (Tensor Loss, Tensor Hidden, Tensor Weight) Run(Device device)
        {
            var h = hidden.to(device).detach().requires_grad_(true);      // a leaf on each device
            var w = weight.to(device).detach().requires_grad_(true);
            var loss = HiddenStateLoss.Weighted(h, w, rows.to(device), targets.to(device), weights.to(device), chunkBytes: 3001 * 4 * 16);
            loss.backward();
            StyleStudio.Training.Runtime.BackwardFailures.ThrowIfAny();
            return (loss.detach().cpu(), h.grad!.cpu(), w.grad!.cpu());
        }
        var cpu = Run(CPU);
        var gpu = Run(torch.CUDA);
        Assert.Equal(cpu.Loss.item<float>(), gpu.Loss.item<float>(), cpu.Loss.item<float>() * 1e-5);
        Assert.True(gpu.Hidden.allclose(cpu.Hidden, rtol: 1e-4, atol: 1e-6), "hidden-state gradients differ");
        Assert.True(gpu.Weight.allclose(cpu.Weight, rtol: 1e-4, atol: 1e-6), "output-weight gradients differ");
    }
}
