using StyleStudio.Training.Runtime;
using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// silu(gate) · up, the gated activation of SwiGLU MLPs. Training on CUDA runs it as one kernel each way where the op
/// sequence runs five: its forward reads gate and up and writes the product (the ops also write and read silu(gate)),
/// its backward writes both gradients in one pass (the ops take three), and only gate and up are kept for the backward
/// (autograd keeps silu(gate) too: a quarter less of the MLP's saved activations). The arithmetic is the ops' own —
/// silu as libtorch computes it in fp32, each intermediate rounded to the tensor dtype where a tensor of the op sequence
/// would hold it — so the forward gives the ops' values. Elsewhere (CPU, inference, no kernel toolchain) the ops run.
/// </summary>
static class SwiGlu
{
    const string Source = KernelDtypes.Source + """

        // Rows of `cols` elements; gate and up rows may be strided (views of one gate|up product), the rest is contiguous.
        // A block covers 256 columns of one row; rows stride over the grid's y.
        template <class T>
        __device__ void forward(const typename T::Raw* gate, long long gate_stride, const typename T::Raw* up,
            long long up_stride, typename T::Raw* out, long long rows, long long cols)
        {
            long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;
            if (c >= cols) return;
            for (long long r = blockIdx.y; r < rows; r += gridDim.y)
            {
                float g = T::load(gate[r * gate_stride + c]);
                float u = T::load(up[r * up_stride + c]);
                float s = rounded<T>(g / (1.0f + expf(-g)));          // silu(gate), as libtorch's silu kernel
                out[r * cols + c] = T::store(s * u);
            }
        }

        template <class T>
        __device__ void backward(const typename T::Raw* grad, const typename T::Raw* gate, long long gate_stride,
            const typename T::Raw* up, long long up_stride, typename T::Raw* grad_gate, typename T::Raw* grad_up,
            long long rows, long long cols)
        {
            long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;
            if (c >= cols) return;
            for (long long r = blockIdx.y; r < rows; r += gridDim.y)
            {
                float dy = T::load(grad[r * cols + c]);
                float g = T::load(gate[r * gate_stride + c]);
                float u = T::load(up[r * up_stride + c]);
                float s = rounded<T>(g / (1.0f + expf(-g)));
                float ds = rounded<T>(dy * u);                        // the product's gradient towards silu(gate)
                float sigmoid = 1.0f / (1.0f + expf(-g));
                grad_up[r * cols + c] = T::store(dy * s);
                grad_gate[r * cols + c] = T::store(ds * sigmoid * (1.0f + g * (1.0f - sigmoid)));   // libtorch's silu_backward
            }
        }

        #define SWIGLU(SUFFIX, T)                                                                                    \
        extern "C" __global__ void swiglu_forward_##SUFFIX(const T::Raw* gate, long long gate_stride,                \
            const T::Raw* up, long long up_stride, T::Raw* out, long long rows, long long cols)                      \
        { forward<T>(gate, gate_stride, up, up_stride, out, rows, cols); }                                           \
        extern "C" __global__ void swiglu_backward_##SUFFIX(const T::Raw* grad, const T::Raw* gate,                  \
            long long gate_stride, const T::Raw* up, long long up_stride, T::Raw* grad_gate, T::Raw* grad_up,        \
            long long rows, long long cols)                                                                          \
        { backward<T>(grad, gate, gate_stride, up, up_stride, grad_gate, grad_up, rows, cols); }

        SWIGLU(bf16, Bf16)
        SWIGLU(f16, F16)
        SWIGLU(f32, F32)
        """;

    static readonly RuntimeKernel Kernel = new("swiglu.cu", Source);

    const uint Threads = 256, MaxRowBlocks = 65535;

    /// <param name="gate">[…, I] gate_proj's output.</param>
    /// <param name="up">[…, I] up_proj's output, the same shape.</param>
    /// <param name="training">Whether this forward trains (the kernels serve training only).</param>
    public static Tensor Apply(Tensor gate, Tensor up, bool training)
    {
        bool learning = training && is_grad_enabled() && (gate.requires_grad || up.requires_grad);
        if (!learning || !Serves(gate, up)) return nn.functional.silu(gate) * up;
        return LeanFunction.Apply<Function>(gate, up);
    }

    /// <summary>Whether the kernels take these tensors here: CUDA with our toolchain, a float dtype, equal shapes.</summary>
    public static bool Serves(Tensor gate, Tensor up) =>
        Kernel.CanRun(gate.device) && gate.dtype is ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32
        && up.dtype == gate.dtype && up.device.ToString() == gate.device.ToString() && gate.shape.SequenceEqual(up.shape)
        && gate.numel() > 0;   // (TorchSharp's Device compares by reference)

    /// <summary>The kernels' forward without autograd (for tests and callers that need no gradient).</summary>
    internal static Tensor Forward(Tensor gate, Tensor up)
    {
        using var scope = NewDisposeScope();
        var (g, gateStride) = Rows(gate);
        var (u, upStride) = Rows(up);
        long cols = gate.shape[^1], rows = gate.numel() / cols;
        var output = empty(gate.shape, gate.dtype, gate.device);
        Kernel.Launch(gate.device, "swiglu_forward_" + KernelDtypes.Suffix(gate.dtype), Grid(rows, cols), (Threads, 1, 1), 0,
            g, gateStride, u, upStride, output, rows, cols);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The kernels' gradients towards gate and up, for the incoming gradient <paramref name="grad"/>.</summary>
    internal static (Tensor Gate, Tensor Up) Backward(Tensor grad, Tensor gate, Tensor up)
    {
        using var scope = NewDisposeScope();
        var (g, gateStride) = Rows(gate);
        var (u, upStride) = Rows(up);
        var dy = grad.to(gate.dtype).contiguous();
        long cols = gate.shape[^1], rows = gate.numel() / cols;
        var gradGate = empty(gate.shape, gate.dtype, gate.device);
        var gradUp = empty(gate.shape, gate.dtype, gate.device);
        Kernel.Launch(gate.device, "swiglu_backward_" + KernelDtypes.Suffix(gate.dtype), Grid(rows, cols), (Threads, 1, 1), 0,
            dy, g, gateStride, u, upStride, gradGate, gradUp, rows, cols);
        return (gradGate.MoveToOuterDisposeScope(), gradUp.MoveToOuterDisposeScope());
    }

    static (uint, uint, uint) Grid(long rows, long cols) =>
        ((uint)((cols + Threads - 1) / Threads), (uint)Math.Min(rows, MaxRowBlocks), 1);


    /// <summary>
    /// The tensor as rows of its last dimension at one row stride: as it is when its rows are evenly spaced with
    /// contiguous elements (a view of half of a gate|up product is), else a contiguous copy.
    /// </summary>
    static (Tensor Rows, long Stride) Rows(Tensor tensor)
    {
        long[] shape = tensor.shape, strides = tensor.stride();
        bool even = strides[^1] == 1;
        for (int d = 0; even && d < shape.Length - 2; d++)
            even = shape[d] == 1 || strides[d] == strides[d + 1] * shape[d + 1];
        if (even) return (tensor.alias(), shape.Length > 1 ? strides[^2] : shape[^1]);
        var copy = tensor.contiguous();
        return (copy, shape[^1]);
    }

    /// <summary>Forward by the kernel, keeping gate and up; backward by the kernel.</summary>
    sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "SwiGlu";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (gate, up) = ((Tensor)vars[0], (Tensor)vars[1]);
            ctx.save_for_backward([gate, up]);
            return Forward(gate, up);
        }

        // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            BackwardFailures.Guard(gradOutput, inputs: 2, () =>
            {
                var saved = ctx.get_saved_variables();
                var (gradGate, gradUp) = Backward(gradOutput, saved[0], saved[1]);
                return GradientHandoff.Return(gradOutput, gradGate, gradUp);
            });
    }
}
