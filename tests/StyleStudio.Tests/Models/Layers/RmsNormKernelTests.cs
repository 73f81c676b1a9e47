using StyleStudio.Tests.Support;
using StyleStudio.Training.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models.Layers;

/// <summary>
/// The fused RMSNorm kernels against the op sequence of <see cref="RmsNorm"/> and its autograd backward: values and input
/// gradients within one rounding of the dtype (the kernel sums in another order), odd widths and row counts, the module
/// taking the kernel path only while training through a frozen weight.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class RmsNormKernelTests
{
    [Theory]
    [InlineData(ScalarType.BFloat16, 3, 37)]
    [InlineData(ScalarType.BFloat16, 1027, 896)]
    [InlineData(ScalarType.BFloat16, 64, 3584)]
    [InlineData(ScalarType.Float16, 33, 128)]
    [InlineData(ScalarType.Float32, 17, 8192)]
    public void The_kernels_give_the_op_sequences_values_and_gradients(ScalarType dtype, int rows, int width)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        using var scope = NewDisposeScope();
        var device = torch.CUDA;
        using var generator = new Generator(9);
        using var norm = new RmsNorm(width, 1e-6, dtype, device);
        using (no_grad()) norm.Weight.copy_((rand([width], generator: generator) + 0.5).to(dtype, device));
        var input = (randn([rows, width], generator: generator) * 2).to(dtype, device);
        var incoming = randn([rows, width], generator: generator).to(dtype, device);
        Assert.True(RmsNormKernel.Serves(input, norm.Weight));

        // The op sequence: the module outside training.
        norm.eval();
        var x = input.detach().requires_grad_(true);
        var expected = norm.forward(x);
        expected.backward([incoming]);
        // The kernels: the module while training.
        norm.train();
        var x2 = input.detach().requires_grad_(true);
        var actual = norm.forward(x2);
        actual.backward([incoming]);
        var (direct, _) = RmsNormKernel.Forward(input, norm.Weight, 1e-6);

        double tolerance = dtype switch { ScalarType.BFloat16 => 1.0 / 128, ScalarType.Float16 => 1.0 / 1024, _ => 1e-5 };
        foreach (var (name, kernel, ops, scale) in new[]
                 {
                     ("output", actual, expected, 1.0), ("output without autograd", direct, expected, 1.0),
                     ("input gradient", x2.grad!, x.grad!, (double)x.grad!.abs().max().to(ScalarType.Float32).item<float>()),
                 })
        {
            var k = kernel.to(ScalarType.Float32);
            var o = ops.to(ScalarType.Float32);
            // One rounding of each value; the gradient's terms cancel, so it is also allowed one rounding of its largest.
            var allowed = o.abs() * tolerance + scale * tolerance * (name == "input gradient" ? 1 : 1e-2);
            var excess = ((k - o).abs() - allowed).max().item<float>();
            double exact = k.eq(o).to(ScalarType.Float32).mean().item<float>();
            Assert.True(excess <= 0, $"{name} ({dtype}, {rows}×{width}) is off by more than one rounding ({excess:G3} beyond); {exact:P1} exact");
            TestContext.Current.SendDiagnosticMessage($"{dtype} {rows}×{width} {name}: {exact:P2} bit-equal to the op sequence's");
        }
    }

    [Fact]
    public void A_trained_weight_keeps_the_op_sequence()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        using var scope = NewDisposeScope();
        using var norm = new RmsNorm(64, 1e-6, ScalarType.Float32, torch.CUDA);
        using (no_grad()) norm.Weight.fill_(1);
        norm.Weight.requires_grad_(true);
        var input = randn([4, 64], device: torch.CUDA).requires_grad_(true);
        Assert.False(RmsNormKernel.Serves(input, norm.Weight));
        norm.train();
        norm.forward(input).sum().backward();
        Assert.NotNull(norm.Weight.grad);
    }

    [Fact]
    public void The_normalisation_and_its_backward_are_captured_into_a_cuda_graph()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available() || !StyleStudio.Training.Runtime.CudaGraph.IsAvailable)
            Assert.Skip("CUDA graphs are not available on this machine");
        using var scope = NewDisposeScope();
        using var norm = new RmsNorm(256, 1e-6, ScalarType.BFloat16, torch.CUDA);
        using (no_grad()) norm.Weight.fill_(1.5);
        norm.train();
        var input = randn([8, 256], device: torch.CUDA).to(ScalarType.BFloat16).requires_grad_(true);
        var incoming = randn([8, 256], device: torch.CUDA).to(ScalarType.BFloat16);
        void Step()
        {
            using var inner = NewDisposeScope();
            norm.forward(input).backward([incoming]);
        }
        // The op sequence first (outside training), which captures as the trainer's graphs do.
        norm.eval();
        Step();
        input.grad!.zero_();
        using (StyleStudio.Training.Runtime.CudaGraph.Capture(torch.CUDA, Step, warmups: 0)) { }
        norm.train();
        Step();
        var once = input.grad!.clone();
        input.grad!.zero_();
        using var graph = StyleStudio.Training.Runtime.CudaGraph.Capture(torch.CUDA, Step, warmups: 0);
        graph.Replay();
        Assert.True(input.grad!.eq(once).all().item<bool>());
    }
}
