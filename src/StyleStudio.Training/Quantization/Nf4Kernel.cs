using System.Globalization;
using StyleStudio.Training.Runtime.Kernels;
using static TorchSharp.torch;

namespace StyleStudio.Training.Quantization;

/// <summary>
/// NF4 dequantization in one CUDA kernel: each thread reads 4 packed bytes (8 weights) and their block's absmax code,
/// and writes the 8 values in the target dtype — 2.5 bytes of memory traffic per bf16 weight, where the op sequence of
/// <see cref="Nf4.DequantizeWithOps"/> moves about 20 (widen the bytes, gather pairs, scale in fp32, narrow). QLoRA
/// dequantizes every projection three times a step (forward, checkpoint recomputation, backward), so that traffic was
/// what kept it at half of bf16 LoRA's speed. The arithmetic is the op sequence's, step by step (no fused multiply-add,
/// the absmax's division by 127 as libtorch's CUDA division by a scalar does it: times the rounded reciprocal), so the
/// result is equal to the bit.
/// </summary>
static class Nf4Kernel
{
    static readonly string CodeBits = string.Join(", ",
        Nf4.CodeBook.Select(c => "0x" + BitConverter.SingleToUInt32Bits(c).ToString("X8", CultureInfo.InvariantCulture) + "u"));

    static readonly string Source = $$"""
        // NF4 levels as IEEE bits (bitsandbytes' table, Nf4.CodeBook).
        __device__ const unsigned int NF4_BITS[16] = { {{CodeBits}} };

        __device__ __forceinline__ unsigned short to_bf16(float value)
        {
            // Round to nearest even, as libtorch's conversion does (weights are finite).
            unsigned int bits = __float_as_uint(value);
            return (unsigned short)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
        }

        __device__ __forceinline__ unsigned short to_f16(float value)
        {
            unsigned short half;
            asm("cvt.rn.f16.f32 %0, %1;" : "=h"(half) : "f"(value));
            return half;
        }

        // One packed byte b holds weight 2b in its high nibble and weight 2b + 1 in its low nibble; 8 words (64 weights)
        // share one absmax, 256 absmax values one scale: absmax = code × (1/127) × scale + offset, rounded after each step.
        __device__ __forceinline__ void dequantize_word(const unsigned int* packed, const signed char* absmax_codes,
            const float* absmax_scales, float reciprocal_127, float absmax_offset, const float* codes, long long word,
            float* values)
        {
            long long block = word >> 3;
            float absmax = __fadd_rn(__fmul_rn(__fmul_rn((float)absmax_codes[block], reciprocal_127), absmax_scales[block >> 8]),
                                     absmax_offset);
            unsigned int bytes = packed[word];
            #pragma unroll
            for (int k = 0; k < 4; k++)
            {
                unsigned int b = (bytes >> (8 * k)) & 0xFFu;
                values[2 * k] = __fmul_rn(codes[b >> 4], absmax);
                values[2 * k + 1] = __fmul_rn(codes[b & 15u], absmax);
            }
        }

        #define NF4_KERNEL(NAME, STORE)                                                                                 \
        extern "C" __global__ void NAME(const unsigned int* __restrict__ packed,                                      \
            const signed char* __restrict__ absmax_codes, const float* __restrict__ absmax_scales,                    \
            float reciprocal_127, float absmax_offset, void* __restrict__ output, long long words)                     \
        {                                                                                                              \
            __shared__ float codes[16];                                                                                \
            if (threadIdx.x < 16) codes[threadIdx.x] = __uint_as_float(NF4_BITS[threadIdx.x]);                         \
            __syncthreads();                                                                                           \
            for (long long word = blockIdx.x * (long long)blockDim.x + threadIdx.x; word < words;                     \
                 word += (long long)gridDim.x * blockDim.x)                                                            \
            {                                                                                                          \
                float v[8];                                                                                            \
                dequantize_word(packed, absmax_codes, absmax_scales, reciprocal_127, absmax_offset, codes, word, v);   \
                STORE                                                                                                  \
            }                                                                                                          \
        }

        NF4_KERNEL(nf4_dequantize_bf16,
            ((uint4*)output)[word] = make_uint4(to_bf16(v[0]) | ((unsigned int)to_bf16(v[1]) << 16),
                                                to_bf16(v[2]) | ((unsigned int)to_bf16(v[3]) << 16),
                                                to_bf16(v[4]) | ((unsigned int)to_bf16(v[5]) << 16),
                                                to_bf16(v[6]) | ((unsigned int)to_bf16(v[7]) << 16));)

        NF4_KERNEL(nf4_dequantize_f16,
            ((uint4*)output)[word] = make_uint4(to_f16(v[0]) | ((unsigned int)to_f16(v[1]) << 16),
                                                to_f16(v[2]) | ((unsigned int)to_f16(v[3]) << 16),
                                                to_f16(v[4]) | ((unsigned int)to_f16(v[5]) << 16),
                                                to_f16(v[6]) | ((unsigned int)to_f16(v[7]) << 16));)

        NF4_KERNEL(nf4_dequantize_f32,
            ((float4*)output)[2 * word] = make_float4(v[0], v[1], v[2], v[3]);
            ((float4*)output)[2 * word + 1] = make_float4(v[4], v[5], v[6], v[7]);)
        """;

    static readonly RuntimeKernel Kernel = new("nf4_dequantize.cu", Source, "--fmad=false");

    const uint ThreadsPerBlock = 256;

    /// <summary>Whether the kernel serves this weight and dtype here (CUDA, toolchain present, a float dtype).</summary>
    public static bool CanDequantize(Nf4Tensor quantized, ScalarType dtype) =>
        dtype is ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32 && Kernel.CanRun(quantized.Packed.device);

    public static Tensor Dequantize(Nf4Tensor quantized, ScalarType dtype)
    {
        var device = quantized.Packed.device;
        using var packed = quantized.Packed.contiguous();
        using var codes = quantized.AbsmaxCodes.contiguous();
        using var scales = quantized.AbsmaxScales.to(ScalarType.Float32).contiguous();
        var output = empty(quantized.Shape, dtype, device);
        long words = packed.numel() / 4;
        uint blocks = (uint)Math.Min((words + ThreadsPerBlock - 1) / ThreadsPerBlock, 1L << 20);
        string function = dtype switch
        {
            ScalarType.BFloat16 => "nf4_dequantize_bf16",
            ScalarType.Float16 => "nf4_dequantize_f16",
            _ => "nf4_dequantize_f32",
        };
        Kernel.Launch(device, function, (blocks, 1, 1), (ThreadsPerBlock, 1, 1), 0,
            packed, codes, scales, 1f / 127f, (float)quantized.AbsmaxOffset, output, words);
        return output;
    }
}
