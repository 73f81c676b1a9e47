using StyleStudio.Tests.Support;
using StyleStudio.Training.Quantization;
using StyleStudio.Training.Runtime;
using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Tests.Quantization;

/// <summary>
/// The NF4 dequantization kernel (compiled at run time with NVRTC) against the libtorch op sequence it replaces: equal
/// to the bit in every dtype, at odd shapes, with several absmax scale groups, and when captured into a CUDA graph.
/// </summary>
[Collection(TorchGlobalRandom.Name)]
[Trait("Category", "Gpu")]
public class Nf4KernelTests
{
    static void RequireCuda()
    {
        if (!torch.TryInitializeDeviceType(DeviceType.CUDA) || !torch.cuda.is_available())
            Assert.Skip("CUDA is not available on this machine");
        // On a CUDA machine the kernels must be there: a missing NVRTC would otherwise pass every test on the fallback.
        Assert.True(RuntimeKernel.Unavailable is null, RuntimeKernel.Unavailable);
        TestContext.Current.SendDiagnosticMessage(RuntimeKernel.Compiler ?? "");
    }

    [Theory]
    [InlineData(3, 64)]          // one absmax block per row, one scale group
    [InlineData(17, 192)]        // odd row count
    [InlineData(1000, 4160)]     // 65,000 blocks: 254 scale groups, the last one partial
    [InlineData(896, 4864)]      // Qwen2.5-0.5B's MLP shape
    public void Kernel_gives_the_op_sequences_bits_in_every_dtype(int rows, int columns)
    {
        RequireCuda();
        using var scope = NewDisposeScope();
        manual_seed(rows);
        var weight = randn(rows, columns, device: CUDA) * 0.02;
        weight[0, 0] = tensor(0.7f);                       // an outlier block, as real weights have
        using var quantized = Nf4.Quantize(weight);
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float16, ScalarType.Float32 })
        {
            Assert.True(Nf4Kernel.CanDequantize(quantized, dtype));
            var kernel = Nf4Kernel.Dequantize(quantized, dtype);
            var ops = Nf4.DequantizeWithOps(quantized, dtype);
            Assert.Equal(ops.shape, kernel.shape);
            Assert.Equal(dtype, kernel.dtype);
            var differing = kernel.ne(ops).sum().item<long>();
            Assert.True(differing == 0, $"{dtype}: {differing} of {ops.numel()} values differ, largest by {(kernel.to(ScalarType.Float32) - ops.to(ScalarType.Float32)).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Kernel_runs_on_the_current_stream_and_is_captured_into_a_cuda_graph()
    {
        RequireCuda();
        if (!CudaGraph.IsAvailable) Assert.Skip("this libtorch does not export the CUDA graph API");
        using var scope = NewDisposeScope();
        manual_seed(5);
        var device = new Device(DeviceType.CUDA, 0);
        var weight = randn(64, 256, device: device) * 0.02;
        using var quantized = Nf4.Quantize(weight);
        var expected = Nf4.DequantizeWithOps(quantized, ScalarType.BFloat16);
        Tensor? captured = null;
        using var graph = CudaGraph.Capture(device, () =>
        {
            captured?.Dispose();
            captured = Nf4.Dequantize(quantized, ScalarType.BFloat16).DetachFromDisposeScope();
        }, warmups: 1);
        captured!.zero_();
        graph.Replay();
        Assert.False(captured.ne(expected).any().item<bool>());
        captured.Dispose();
    }

    [Fact]
    public void A_kernel_that_does_not_compile_reports_the_compilers_log()
    {
        RequireCuda();
        var broken = new RuntimeKernel("broken.cu", "extern \"C\" __global__ void broken(float* x) { x[0] = undeclared; }");
        using var buffer = zeros(1, device: CUDA);
        var error = Assert.Throws<CudaException>(() => broken.Launch(buffer.device, "broken", (1, 1, 1), (1, 1, 1), 0, buffer));
        Assert.Contains("broken.cu", error.Message);
        Assert.Contains("undeclared", error.Message);
    }
}

/// <summary>Where CUDA is absent, kernels of ours say why and NF4 takes the op sequence (the CI machine's case).</summary>
[Collection(TorchGlobalRandom.Name)]
public class RuntimeKernelFallbackTests
{
    [Fact]
    public void Without_cuda_kernels_are_unavailable_with_a_reason_and_nf4_falls_back()
    {
        if (torch.cuda.is_available()) Assert.Skip("this machine has CUDA");
        Assert.False(string.IsNullOrWhiteSpace(RuntimeKernel.Unavailable));
        using var scope = NewDisposeScope();
        var weight = randn(8, 128) * 0.02;
        using var quantized = Nf4.Quantize(weight);
        Assert.False(Nf4Kernel.CanDequantize(quantized, ScalarType.BFloat16));
        Assert.False(Nf4.Dequantize(quantized, ScalarType.BFloat16).ne(Nf4.DequantizeWithOps(quantized, ScalarType.BFloat16)).any().item<bool>());
    }
}
