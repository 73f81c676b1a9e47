using StyleStudio.Tests.Support;
using StyleStudio.Training.Models.Layers;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Models.Layers;

/// <summary>
/// The fused rotary-embedding kernels against the op sequence they replace, x·cos + rotate_half(x)·sin and its autograd
/// backward: the forward to the bit, the gradients within one rounding of the dtype; odd sizes, queries read straight
/// from a fused q|k|v product as the attention layer passes them.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class RotaryKernelTests
{
    [Theory]
    [InlineData(ScalarType.BFloat16, 2, 37, 14, 64, true)]
    [InlineData(ScalarType.BFloat16, 1, 512, 28, 128, true)]
    [InlineData(ScalarType.Float16, 3, 5, 3, 16, false)]
    [InlineData(ScalarType.Float32, 2, 101, 4, 128, true)]
    [InlineData(ScalarType.Float32, 1, 9, 2, 2, false)]
    public void The_kernels_give_the_op_sequences_values_and_gradients(ScalarType dtype, int batch, int steps, int heads, int headDim,
        bool fromFusedProjection)
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        using var scope = NewDisposeScope();
        var device = torch.CUDA;
        using var generator = new Generator(7);
        Tensor x;
        if (fromFusedProjection)
        {
            // q|k|v of 1 + 2 KV heads' width beside the queries: the queries are a strided view, transposed to [B, H, T, D].
            var product = (randn([batch, steps, (heads + 2) * headDim], generator: generator) * 2).to(dtype, device);
            x = product.narrow(-1, 0, heads * headDim).view(batch, steps, heads, headDim).transpose(1, 2);
        }
        else x = (randn([batch, heads, steps, headDim], generator: generator) * 2).to(dtype, device);
        var angles = rand([batch, 1, steps, headDim], generator: generator) * 40;
        var cos = angles.cos().to(dtype, device);
        var sin = angles.sin().to(dtype, device);
        var incoming = randn([batch, heads, steps, headDim], generator: generator).to(dtype, device);
        Assert.True(RotaryKernel.Serves(x, cos, sin), "the kernels should serve CUDA tensors of a float dtype");

        var expected = RotaryEmbedding.Apply(x, cos, sin);
        var actual = RotaryKernel.Forward(x, cos, sin);
        Assert.True(actual.to(ScalarType.Float32).eq(expected.to(ScalarType.Float32)).all().item<bool>(),
            $"forward differs by up to {(actual.to(ScalarType.Float32) - expected.to(ScalarType.Float32)).abs().max().item<float>()}");

        var ops = x.detach().requires_grad_(true);
        RotaryEmbedding.Apply(ops, cos, sin).backward([incoming]);
        var kernel = RotaryKernel.Backward(incoming, cos, sin);
        var viaNode = x.detach().requires_grad_(true);
        RotaryKernel.Apply(viaNode, cos, sin, interleaved: false, training: true).backward([incoming]);

        double tolerance = dtype switch { ScalarType.BFloat16 => 1.0 / 128, ScalarType.Float16 => 1.0 / 1024, _ => 1e-6 };
        foreach (var (name, got) in new[] { ("kernel", kernel), ("autograd node", viaNode.grad!) })
        {
            var k = got.to(ScalarType.Float32);
            var o = ops.grad!.to(ScalarType.Float32);
            var allowed = o.abs() * tolerance + tolerance * 1e-2;
            var excess = ((k - o).abs() - allowed).max().item<float>();
            double exact = k.eq(o).to(ScalarType.Float32).mean().item<float>();
            Assert.True(excess <= 0, $"{name} gradient ({dtype}, {batch}×{heads}×{steps}×{headDim}) is off by more than one rounding ({excess:G3} beyond); {exact:P1} exact");
            TestContext.Current.SendDiagnosticMessage($"{dtype} {batch}×{heads}×{steps}×{headDim} {name}: {exact:P2} of gradients bit-equal to the op sequence's");
        }
    }

    [Fact]
    public void Outside_training_on_the_cpu_and_for_interleaved_pairs_the_op_sequence_runs()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 2, 3, 8).requires_grad_(true);
        var cos = randn(1, 1, 3, 8);
        var sin = randn(1, 1, 3, 8);
        Assert.False(RotaryKernel.Serves(x, cos, sin));
        Assert.True(RotaryKernel.Apply(x, cos, sin, interleaved: false, training: true).eq(RotaryEmbedding.Apply(x, cos, sin)).all().item<bool>());
        Assert.True(RotaryKernel.Apply(x, cos, sin, interleaved: true, training: true)
            .eq(RotaryEmbedding.Apply(x, cos, sin, interleaved: true)).all().item<bool>());
    }

    [Fact]
    public void The_rotation_and_its_backward_are_captured_into_a_cuda_graph()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available() || !StyleStudio.Training.Runtime.CudaGraph.IsAvailable)
            Assert.Skip("CUDA graphs are not available on this machine");
        using var scope = NewDisposeScope();
        var x = randn([2, 4, 16, 64], device: torch.CUDA).to(ScalarType.BFloat16).requires_grad_(true);
        var cos = randn([2, 1, 16, 64], device: torch.CUDA).to(ScalarType.BFloat16);
        var sin = randn([2, 1, 16, 64], device: torch.CUDA).to(ScalarType.BFloat16);
        var incoming = randn([2, 4, 16, 64], device: torch.CUDA).to(ScalarType.BFloat16);
        void Step()
        {
            using var inner = NewDisposeScope();
            RotaryKernel.Apply(x, cos, sin, interleaved: false, training: true).backward([incoming]);
        }
        Step();
        var once = x.grad!.clone();
        x.grad!.zero_();
        using var graph = StyleStudio.Training.Runtime.CudaGraph.Capture(torch.CUDA, Step, warmups: 0);
        graph.Replay();
        Assert.True(x.grad!.eq(once).all().item<bool>());
    }
}
