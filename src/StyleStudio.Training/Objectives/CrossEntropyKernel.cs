using StyleStudio.Training.Runtime.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace StyleStudio.Training.Objectives;

/// <summary>
/// The softmax cross-entropy of a chunk of logit rows and its gradient towards the logits, in one kernel over the rows
/// the output projection wrote (bf16, fp16 or fp32): each row is read twice — once for its maximum and sum of
/// exponentials (an online softmax), once to write weight × (softmax − one-hot) over the logits in place — where the op
/// sequence of <see cref="HiddenStateLoss"/> converts the chunk to fp32 and passes over that copy seven more times. With
/// Qwen's 152k vocabulary the logits are the largest tensors of a small model's step (Qwen2.5-0.5B, 8 × 512 tokens:
/// ~20 GB moved a micro-batch by the ops, ~4 GB here). Sums run in fp32 in another order than the ops', so the loss agrees
/// to fp32 rounding and the gradient to one rounding of the logits' dtype.
/// </summary>
static class CrossEntropyKernel
{
    const string Source = KernelDtypes.Source + """

        #define NEGATIVE_INFINITY __int_as_float(0xFF800000)

        // (max, Σ exp(x − max)) of two parts of a row combined.
        __device__ __forceinline__ void combine(float& m, float& s, float other_m, float other_s)
        {
            if (other_m == NEGATIVE_INFINITY) return;
            if (m == NEGATIVE_INFINITY) { m = other_m; s = other_s; return; }
            float top = fmaxf(m, other_m);
            s = s * expf(m - top) + other_s * expf(other_m - top);
            m = top;
        }

        // One block per row of `vocab` logits. VEC elements per load where the rows allow 16-byte loads, else 1.
        template <class T, int VEC>
        __device__ void cross_entropy(typename T::Raw* logits, const long long* targets, const float* weights, float* losses,
            long long vocab)
        {
            typedef typename T::Raw Raw;
            struct alignas(sizeof(Raw) * VEC) Pack { Raw v[VEC]; };   // 16 bytes, or one element
            __shared__ float shared_m[32], shared_s[32];
            __shared__ float row_m, row_s;
            Raw* row = logits + blockIdx.x * vocab;
            long long packs = vocab / VEC;
            float m = NEGATIVE_INFINITY, s = 0.0f;
            for (long long p = threadIdx.x; p < packs; p += blockDim.x)
            {
                Pack pack = ((const Pack*)row)[p];
                float local = NEGATIVE_INFINITY;
                #pragma unroll
                for (int k = 0; k < VEC; k++) local = fmaxf(local, T::load(pack.v[k]));
                if (local > m) { s = m == NEGATIVE_INFINITY ? 0.0f : s * expf(m - local); m = local; }
                #pragma unroll
                for (int k = 0; k < VEC; k++) s += expf(T::load(pack.v[k]) - m);
            }
            #pragma unroll
            for (int offset = 16; offset > 0; offset >>= 1)
                combine(m, s, __shfl_xor_sync(0xFFFFFFFFu, m, offset), __shfl_xor_sync(0xFFFFFFFFu, s, offset));
            int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
            if (lane == 0) { shared_m[warp] = m; shared_s[warp] = s; }
            __syncthreads();
            if (warp == 0)
            {
                m = lane < warps ? shared_m[lane] : NEGATIVE_INFINITY;
                s = lane < warps ? shared_s[lane] : 0.0f;
                #pragma unroll
                for (int offset = 16; offset > 0; offset >>= 1)
                    combine(m, s, __shfl_xor_sync(0xFFFFFFFFu, m, offset), __shfl_xor_sync(0xFFFFFFFFu, s, offset));
                if (lane == 0)
                {
                    row_m = m;
                    row_s = s;
                    float weight = weights[blockIdx.x];
                    float picked = T::load(row[targets[blockIdx.x]]);
                    losses[blockIdx.x] = (logf(s) + m - picked) * weight;
                }
            }
            __syncthreads();                       // the target's logit is read before any thread overwrites it
            float top = row_m, weight = weights[blockIdx.x], scale = weight / row_s;
            long long target = targets[blockIdx.x];
            for (long long p = threadIdx.x; p < packs; p += blockDim.x)
            {
                Pack pack = ((const Pack*)row)[p];
                #pragma unroll
                for (int k = 0; k < VEC; k++)
                {
                    float g = expf(T::load(pack.v[k]) - top) * scale;
                    if (p * VEC + k == target) g -= weight;
                    pack.v[k] = T::store(g);
                }
                ((Pack*)row)[p] = pack;
            }
        }

        #define CROSS_ENTROPY(SUFFIX, T, VEC)                                                                      \
        extern "C" __global__ void cross_entropy_##SUFFIX(T::Raw* logits, const long long* targets,                \
            const float* weights, float* losses, long long vocab)                                                  \
        { cross_entropy<T, VEC>(logits, targets, weights, losses, vocab); }                                        \
        extern "C" __global__ void cross_entropy_##SUFFIX##_scalar(T::Raw* logits, const long long* targets,       \
            const float* weights, float* losses, long long vocab)                                                  \
        { cross_entropy<T, 1>(logits, targets, weights, losses, vocab); }

        CROSS_ENTROPY(bf16, Bf16, 8)
        CROSS_ENTROPY(f16, F16, 8)
        CROSS_ENTROPY(f32, F32, 4)
        """;

    static readonly RuntimeKernel Kernel = new("cross_entropy.cu", Source);

    const uint Threads = 512;

    /// <summary>Whether the kernel takes these logits: CUDA with our toolchain, a float dtype, contiguous rows.</summary>
    public static bool Serves(Tensor logits) =>
        Kernel.CanRun(logits.device) && logits.dtype is ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32
        && logits.dim() == 2 && logits.is_contiguous() && logits.shape[0] > 0;

    /// <summary>
    /// Each row's weighted loss, weight × (log Σ exp(logits) − logits[target]), returned as [rows] fp32; the logits are
    /// overwritten by their gradient, weight × (softmax − one-hot), in their own dtype.
    /// </summary>
    /// <param name="logits">[rows, vocab], contiguous.</param>
    /// <param name="targets">[rows] int64.</param>
    /// <param name="weights">[rows] fp32 (0 for padding entries).</param>
    public static Tensor LossAndGradientInPlace(Tensor logits, Tensor targets, Tensor weights)
    {
        long rows = logits.shape[0], vocab = logits.shape[1];
        int vec = logits.dtype == ScalarType.Float32 ? 4 : 8;
        string name = "cross_entropy_" + KernelDtypes.Suffix(logits.dtype) + (vocab % vec == 0 ? "" : "_scalar");
        var losses = empty(rows, ScalarType.Float32, logits.device);
        Kernel.Launch(logits.device, name, ((uint)rows, 1, 1), (Threads, 1, 1), 0,
            logits, targets.contiguous(), weights.contiguous(), losses, vocab);
        return losses;
    }
}
