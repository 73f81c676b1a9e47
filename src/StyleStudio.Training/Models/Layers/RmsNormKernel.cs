using StyleStudio.Training.Runtime;
using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Models.Layers;

/// <summary>
/// RMSNorm with a frozen weight (LoRA, QLoRA) in one CUDA kernel each way, for training: the op sequence of
/// <see cref="RmsNorm"/> runs about six kernels forward and a dozen backward over the fp32 copy of its input, and autograd
/// keeps that copy, the normalised values and the root mean square for the backward; the kernels read the input and keep
/// only it. A block normalises one row: the sum of squares in fp32, then x · rsqrt(mean + ε) rounded to the dtype, times
/// the weight. The backward is the op sequence's derivative: with n = x·r and dn = dy·w rounded as the ops round it,
/// dx = r·dn − x·r³·Σ(dn·x)/H. Sums run in another order than libtorch's, so values agree within a rounding, not to
/// the bit.
/// </summary>
static class RmsNormKernel
{
    const string Source = KernelDtypes.Source + """

        // The sum of every thread's value in the block (blockDim.x a multiple of 32, at most 1024), for all threads.
        __device__ float block_sum(float value, float* scratch)
        {
            for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xFFFFFFFFu, value, offset);
            int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
            __syncthreads();                         // scratch may still be read from the previous sum
            if (lane == 0) scratch[warp] = value;
            __syncthreads();
            float total = 0.0f;
            for (int w = 0; w < warps; w++) total += scratch[w];
            return total;
        }

        // Rows of `cols` contiguous elements; a block per row, rows strided over the grid.
        template <class T>
        __device__ void forward(const typename T::Raw* input, const typename T::Raw* weight, typename T::Raw* out,
            float* inverse_rms, long long rows, int cols, float eps)
        {
            __shared__ float scratch[32];
            for (long long r = blockIdx.x; r < rows; r += gridDim.x)
            {
                const typename T::Raw* x = input + r * cols;
                float squares = 0.0f;
                for (int c = threadIdx.x; c < cols; c += blockDim.x) { float v = T::load(x[c]); squares += v * v; }
                float inverse = rsqrtf(block_sum(squares, scratch) / (float)cols + eps);
                for (int c = threadIdx.x; c < cols; c += blockDim.x)
                    out[r * cols + c] = T::store(T::load(weight[c]) * rounded<T>(T::load(x[c]) * inverse));
                if (threadIdx.x == 0) inverse_rms[r] = inverse;
            }
        }

        template <class T>
        __device__ void backward(const typename T::Raw* grad, const typename T::Raw* input, const typename T::Raw* weight,
            const float* inverse_rms, typename T::Raw* grad_input, long long rows, int cols)
        {
            __shared__ float scratch[32];
            for (long long r = blockIdx.x; r < rows; r += gridDim.x)
            {
                const typename T::Raw* x = input + r * cols;
                const typename T::Raw* dy = grad + r * cols;
                float dot = 0.0f;        // Σ dn·x, with dn the normalised values' gradient as the ops round it
                for (int c = threadIdx.x; c < cols; c += blockDim.x)
                    dot += rounded<T>(T::load(dy[c]) * T::load(weight[c])) * T::load(x[c]);
                dot = block_sum(dot, scratch);
                float inverse = inverse_rms[r];
                float coefficient = inverse * inverse * inverse * dot / (float)cols;
                for (int c = threadIdx.x; c < cols; c += blockDim.x)
                {
                    float dn = rounded<T>(T::load(dy[c]) * T::load(weight[c]));
                    grad_input[r * cols + c] = T::store(inverse * dn - T::load(x[c]) * coefficient);
                }
            }
        }

        #define RMS_NORM(SUFFIX, T)                                                                                  \
        extern "C" __global__ void rms_norm_forward_##SUFFIX(const T::Raw* input, const T::Raw* weight, T::Raw* out, \
            float* inverse_rms, long long rows, int cols, float eps)                                                 \
        { forward<T>(input, weight, out, inverse_rms, rows, cols, eps); }                                            \
        extern "C" __global__ void rms_norm_backward_##SUFFIX(const T::Raw* grad, const T::Raw* input,               \
            const T::Raw* weight, const float* inverse_rms, T::Raw* grad_input, long long rows, int cols)             \
        { backward<T>(grad, input, weight, inverse_rms, grad_input, rows, cols); }

        RMS_NORM(bf16, Bf16)
        RMS_NORM(f16, F16)
        RMS_NORM(f32, F32)
        """;

    static readonly RuntimeKernel Kernel = new("rms_norm.cu", Source);

    const uint Threads = 256, MaxBlocks = 1u << 20;

    /// <summary>Whether the kernels serve this norm here: CUDA with our toolchain, a float dtype, a frozen weight.</summary>
    public static bool Serves(Tensor input, Tensor weight) =>
        Kernel.CanRun(input.device) && input.dtype is ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32
        && weight.dtype == input.dtype && weight.device.ToString() == input.device.ToString() && !weight.requires_grad
        && weight.dim() == 1 && input.shape[^1] == weight.shape[0] && input.numel() > 0;

    /// <summary>Normalised rows and each row's 1 / root mean square (fp32), without autograd.</summary>
    internal static (Tensor Output, Tensor InverseRms) Forward(Tensor input, Tensor weight, double eps)
    {
        using var scope = NewDisposeScope();
        var x = input.contiguous();
        int cols = (int)input.shape[^1];
        long rows = input.numel() / cols;
        var output = empty(input.shape, input.dtype, input.device);
        var inverse = empty(rows, ScalarType.Float32, input.device);
        Kernel.Launch(input.device, "rms_norm_forward_" + KernelDtypes.Suffix(input.dtype), Grid(rows), (Threads, 1, 1), 0,
            x, weight, output, inverse, rows, cols, (float)eps);
        return (output.MoveToOuterDisposeScope(), inverse.MoveToOuterDisposeScope());
    }

    internal static Tensor Backward(Tensor grad, Tensor input, Tensor weight, Tensor inverseRms)
    {
        using var scope = NewDisposeScope();
        var x = input.contiguous();
        var dy = grad.to(input.dtype).contiguous();
        int cols = (int)input.shape[^1];
        long rows = input.numel() / cols;
        var gradInput = empty(input.shape, input.dtype, input.device);
        Kernel.Launch(input.device, "rms_norm_backward_" + KernelDtypes.Suffix(input.dtype), Grid(rows), (Threads, 1, 1), 0,
            dy, x, weight, inverseRms, gradInput, rows, cols);
        return gradInput.MoveToOuterDisposeScope();
    }

    /// <summary>The normalisation as an autograd node whose backward is the kernel's.</summary>
    public static Tensor Apply(Tensor input, Tensor weight, double eps) => LeanFunction.Apply<Function>(input, weight, eps);

    static (uint, uint, uint) Grid(long rows) => ((uint)Math.Min(rows, MaxBlocks), 1, 1);


    sealed class Function : autograd.SingleTensorFunction<Function>
    {
        const string InverseKey = "inverse_rms";

        /// <summary>Kept in a record: TorchSharp prints a warning for every tensor given to save_data directly.</summary>
        sealed record Saved(Tensor InverseRms);

        public override string Name => "RmsNorm";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var (input, weight, eps) = ((Tensor)vars[0], (Tensor)vars[1], (double)vars[2]);
            var (output, inverse) = Forward(input, weight, eps);
            ctx.save_for_backward([input, weight]);
            ctx.save_data(InverseKey, new Saved(inverse.DetachFromDisposeScope()));
            return output;
        }

        // Runs inside a native callback: returning fewer entries than inputs would end the process (failures are kept, see BackwardFailures).
        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
            BackwardFailures.Guard(gradOutput, inputs: 3, () =>
            {
                var saved = ctx.get_saved_variables();
                using var inverse = ((Saved)ctx.get_data(InverseKey)).InverseRms;
                var gradInput = Backward(gradOutput, saved[0], saved[1], inverse);
                return GradientHandoff.Return(gradOutput, gradInput, null, null);
            });
    }
}
