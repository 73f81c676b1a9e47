using StyleStudio.Training.Runtime;
using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// Rotary embedding (halves layout: x·cos + rotate_half(x)·sin) as one kernel each way for training on CUDA. The op
/// sequence (<see cref="RotaryEmbedding.Apply(Tensor, Tensor, Tensor)"/>) runs six kernels forward — two slices'
/// negation, a concatenation, two products and a sum, each writing a tensor of q's or k's size — and about as many
/// backward; the kernel reads each query or key element once and writes its result once, reading q and k straight from
/// the q|k|v projection's output (any strides with contiguous elements). Only cos and sin are kept for the backward, as
/// autograd keeps for the ops. The arithmetic is the ops' own, each product and the sum rounded to the tensor dtype
/// (products and sums by <c>__fmul_rn</c> / <c>__fadd_rn</c>, which the compiler never fuses into one rounding), so the
/// forward gives the ops' values to the bit. Elsewhere (CPU, inference, interleaved pairs, partial rotary) the ops run.
/// </summary>
static class RotaryKernel
{
    const string Source = KernelDtypes.Source + """

        // One thread per rotary pair (j, j + half) of one (batch, head, position) row; x strided over batch, head and
        // position, its channels contiguous; cos, sin [B, 1, T, D] and the output [B, H, T, D] contiguous.
        template <class T>
        __device__ void forward(const typename T::Raw* x, long long batch_stride, long long head_stride, long long step_stride,
            const typename T::Raw* cos, const typename T::Raw* sin, typename T::Raw* out, long long heads, long long steps,
            long long pairs, int half)
        {
            long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
            if (i >= pairs) return;
            int j = (int)(i % half);
            long long row = i / half, t = row % steps, b = row / steps / heads, h = row / steps % heads;
            const typename T::Raw* in = x + b * batch_stride + h * head_stride + t * step_stride;
            long long table = (b * steps + t) * 2 * half;
            float x1 = T::load(in[j]), x2 = T::load(in[j + half]);
            float first = __fadd_rn(rounded<T>(__fmul_rn(x1, T::load(cos[table + j]))), rounded<T>(__fmul_rn(-x2, T::load(sin[table + j]))));
            float second = __fadd_rn(rounded<T>(__fmul_rn(x2, T::load(cos[table + j + half]))), rounded<T>(__fmul_rn(x1, T::load(sin[table + j + half]))));
            out[row * 2 * half + j] = T::store(first);
            out[row * 2 * half + j + half] = T::store(second);
        }

        // The ops' backward: dx = dy·cos + rotate_half⁻¹(dy·sin), i.e. dx₁ = dy₁·cos₁ + dy₂·sin₂, dx₂ = dy₂·cos₂ − dy₁·sin₁.
        template <class T>
        __device__ void backward(const typename T::Raw* grad, const typename T::Raw* cos, const typename T::Raw* sin,
            typename T::Raw* grad_x, long long heads, long long steps, long long pairs, int half)
        {
            long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
            if (i >= pairs) return;
            int j = (int)(i % half);
            long long row = i / half, t = row % steps, b = row / steps / heads;
            long long table = (b * steps + t) * 2 * half;
            float dy1 = T::load(grad[row * 2 * half + j]), dy2 = T::load(grad[row * 2 * half + j + half]);
            float first = __fadd_rn(rounded<T>(__fmul_rn(dy1, T::load(cos[table + j]))), rounded<T>(__fmul_rn(dy2, T::load(sin[table + j + half]))));
            float second = __fadd_rn(rounded<T>(__fmul_rn(dy2, T::load(cos[table + j + half]))), -rounded<T>(__fmul_rn(dy1, T::load(sin[table + j]))));
            grad_x[row * 2 * half + j] = T::store(first);
            grad_x[row * 2 * half + j + half] = T::store(second);
        }

        #define ROTARY(SUFFIX, T)                                                                                   \
        extern "C" __global__ void rotary_forward_##SUFFIX(const T::Raw* x, long long batch_stride,                 \
            long long head_stride, long long step_stride, const T::Raw* cos, const T::Raw* sin, T::Raw* out,        \
            long long heads, long long steps, long long pairs, int half)                                             \
        { forward<T>(x, batch_stride, head_stride, step_stride, cos, sin, out, heads, steps, pairs, half); }        \
        extern "C" __global__ void rotary_backward_##SUFFIX(const T::Raw* grad, const T::Raw* cos,                  \
            const T::Raw* sin, T::Raw* grad_x, long long heads, long long steps, long long pairs, int half)         \
        { backward<T>(grad, cos, sin, grad_x, heads, steps, pairs, half); }

        ROTARY(bf16, Bf16)
        ROTARY(f16, F16)
        ROTARY(f32, F32)
        """;

    static readonly RuntimeKernel Kernel = new("rotary.cu", Source);

    const uint Threads = 256;

    /// <param name="x">[B, H, T, D] queries or keys (a transposed view of the projection's output is fine).</param>
    /// <param name="cos">[B, 1, T, D] rotary table rows; <paramref name="sin"/> likewise.</param>
    /// <param name="training">Whether this forward trains (the kernels serve training only).</param>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin, bool interleaved, bool training)
    {
        bool learning = training && is_grad_enabled() && x.requires_grad;
        if (!learning || interleaved || !Serves(x, cos, sin)) return RotaryEmbedding.Apply(x, cos, sin, interleaved);
        return LeanFunction.Apply<Function>(x, cos, sin);
    }

    /// <summary>Whether the kernels take these tensors: CUDA with our toolchain, a float dtype, tables of x's dtype
    /// covering its whole head dimension, nothing learned in the tables.</summary>
    public static bool Serves(Tensor x, Tensor cos, Tensor sin) =>
        Kernel.CanRun(x.device) && x.dtype is ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32 && x.dim() == 4
        && x.shape[^1] % 2 == 0 && x.numel() > 0
        && new[] { cos, sin }.All(t => t.dtype == x.dtype && t.device.ToString() == x.device.ToString() && !t.requires_grad
            && t.shape.SequenceEqual([x.shape[0], 1, x.shape[2], x.shape[3]]));

    /// <summary>The kernel's forward without autograd: a contiguous [B, H, T, D] result.</summary>
    internal static Tensor Forward(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var input = x.stride()[^1] == 1 ? x : x.contiguous();
        long[] strides = input.stride();
        long heads = x.shape[1], steps = x.shape[2], half = x.shape[3] / 2, pairs = x.numel() / 2;
        var output = empty(x.shape, x.dtype, x.device);
        Kernel.Launch(x.device, "rotary_forward_" + KernelDtypes.Suffix(x.dtype), Grid(pairs), (Threads, 1, 1), 0,
            input, strides[0], strides[1], strides[2], cos.contiguous(), sin.contiguous(), output, heads, steps, pairs, (int)half);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The gradient towards x for the incoming gradient <paramref name="grad"/> ([B, H, T, D]).</summary>
    internal static Tensor Backward(Tensor grad, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var dy = grad.to(cos.dtype).contiguous();
        long heads = grad.shape[1], steps = grad.shape[2], half = grad.shape[3] / 2, pairs = grad.numel() / 2;
        var gradX = empty(grad.shape, cos.dtype, grad.device);
        Kernel.Launch(grad.device, "rotary_backward_" + KernelDtypes.Suffix(cos.dtype), Grid(pairs), (Threads, 1, 1), 0,
            dy, cos.contiguous(), sin.contiguous(), gradX, heads, steps, pairs, (int)half);
        return gradX.MoveToOuterDisposeScope();
    }

    static (uint, uint, uint) Grid(long pairs) => ((uint)((pairs + Threads - 1) / Threads), 1, 1);

    /// <summary>Forward by the kernel, keeping cos and sin; backward by the kernel.</summary>
    sealed class Function : autograd.SingleTensorFunction<Function>
    {
        public override string Name => "Rotary";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (x, cos, sin) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2]);
            ctx.save_for_backward([cos, sin]);
            return Forward(x, cos, sin);
        }

        // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            BackwardFailures.Guard(gradOutput, inputs: 3, () =>
            {
                var saved = ctx.get_saved_variables();
                return GradientHandoff.Return(gradOutput, Backward(gradOutput, saved[0], saved[1]), null, null);
            });
    }
}
