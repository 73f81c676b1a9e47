using StyleStudio.Tests.Support;
using StyleStudio.Training.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models.Layers;

/// <summary>
/// The fused SwiGLU kernels against the op sequence they replace, silu(gate) · up and its autograd backward: the forward
/// to the bit, the gradients within one rounding of the dtype; odd sizes, rows strided as halves of one gate|up product.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class SwiGluKernelTests
{
    [Theory]
    [InlineData(ScalarType.BFloat16, 3, 37, false)]
    [InlineData(ScalarType.BFloat16, 70, 4864, true)]
    [InlineData(ScalarType.Float16, 5, 301, true)]
    [InlineData(ScalarType.Float32, 9, 1000, false)]
    [InlineData(ScalarType.Float32, 2, 18944, true)]
    public void The_kernels_give_the_op_sequences_values_and_gradients(ScalarType dtype, int tokens, int width, bool halvesOfOneProduct)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        using var scope = NewDisposeScope();
        var device = torch.CUDA;
        using var generator = new Generator(5);
        Tensor gate, up;
        if (halvesOfOneProduct)
        {
            var product = (randn([2, tokens, 2 * width], generator: generator) * 3).to(dtype, device);
            var halves = product.chunk(2, -1);
            (gate, up) = (halves[0], halves[1]);
        }
        else
        {
            gate = (randn([2, tokens, width], generator: generator) * 3).to(dtype, device);
            up = (randn([2, tokens, width], generator: generator) * 3).to(dtype, device);
        }
        var incoming = randn([2, tokens, width], generator: generator).to(dtype, device);
        Assert.True(SwiGlu.Serves(gate, up), "the kernels should serve CUDA tensors of a float dtype");

        // Forward: the same bits as the op sequence.
        var expected = nn.functional.silu(gate) * up;
        var actual = SwiGlu.Forward(gate, up);
        Assert.True(actual.to(ScalarType.Float32).eq(expected.to(ScalarType.Float32)).all().item<bool>(),
            $"forward differs by up to {(actual.to(ScalarType.Float32) - expected.to(ScalarType.Float32)).abs().max().item<float>()}");

        // Backward: autograd through the op sequence against the kernel's, and through the training path's autograd node.
        var g = gate.detach().requires_grad_(true);
        var u = up.detach().requires_grad_(true);
        (nn.functional.silu(g) * u).backward([incoming]);
        var (gradGate, gradUp) = SwiGlu.Backward(incoming, gate, up);
        var g2 = gate.detach().requires_grad_(true);
        var u2 = up.detach().requires_grad_(true);
        SwiGlu.Apply(g2, u2, training: true).backward([incoming]);

        double tolerance = dtype switch { ScalarType.BFloat16 => 1.0 / 128, ScalarType.Float16 => 1.0 / 1024, _ => 1e-6 };
        foreach (var (name, kernel, ops) in new[] { ("gate", gradGate, g.grad!), ("up", gradUp, u.grad!), ("gate via autograd", g2.grad!, g.grad!), ("up via autograd", u2.grad!, u.grad!) })
        {
            var k = kernel.to(ScalarType.Float32);
            var o = ops.to(ScalarType.Float32);
            // Within one rounding of the dtype, relative to each value (and absolutely near zero).
            var allowed = o.abs() * tolerance + tolerance * 1e-2;
            var excess = ((k - o).abs() - allowed).max().item<float>();
            double exact = k.eq(o).to(ScalarType.Float32).mean().item<float>();
            Assert.True(excess <= 0, $"{name} gradient ({dtype}, {tokens}×{width}) is off by more than one rounding ({excess:G3} beyond); {exact:P1} exact");
            TestContext.Current.SendDiagnosticMessage($"{dtype} {tokens}×{width} {name}: {exact:P2} of gradients bit-equal to the op sequence's");
        }
    }

    [Fact]
    public void Outside_training_and_on_the_cpu_the_op_sequence_runs()
    {
        using var scope = NewDisposeScope();
        var gate = randn(4, 6);
        var up = randn(4, 6);
        Assert.False(SwiGlu.Serves(gate, up));
        Assert.True(SwiGlu.Apply(gate, up, training: true).eq(nn.functional.silu(gate) * up).all().item<bool>());
    }

    [Fact]
    public void The_product_and_its_backward_are_captured_into_a_cuda_graph()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available() || !StyleStudio.Training.Runtime.CudaGraph.IsAvailable)
            Assert.Skip("CUDA graphs are not available on this machine");
        using var scope = NewDisposeScope();
        var gate = randn([8, 320], device: torch.CUDA).to(ScalarType.BFloat16).requires_grad_(true);
        var up = randn([8, 320], device: torch.CUDA).to(ScalarType.BFloat16).requires_grad_(true);
        var incoming = randn([8, 320], device: torch.CUDA).to(ScalarType.BFloat16);
        void Step()
        {
            using var inner = NewDisposeScope();
            SwiGlu.Apply(gate, up, training: true).backward([incoming]);
        }
        Step();
        var once = gate.grad!.clone();
        gate.grad!.zero_();
        up.grad!.zero_();
        using var graph = StyleStudio.Training.Runtime.CudaGraph.Capture(torch.CUDA, Step, warmups: 0);
        graph.Replay();
        Assert.True(gate.grad!.eq(once).all().item<bool>());
    }
}
