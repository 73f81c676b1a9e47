using static TorchSharp.torch;

namespace StyleStudio.Training.Runtime.Kernels;

/// <summary>
/// CUDA source shared by our elementwise and row kernels: the three tensor dtypes as structs with a raw storage type,
/// a widening load and a rounding store (round to nearest even, as libtorch's conversions), and <c>rounded&lt;T&gt;</c>,
/// the value a tensor of type T holds for an fp32 result — so kernels can round where the op sequence they replace
/// stores a tensor. Prepended to a kernel's own source.
/// </summary>
static class KernelDtypes
{
    public const string Source = """
        struct Bf16
        {
            typedef unsigned short Raw;
            static __device__ __forceinline__ float load(Raw raw) { return __uint_as_float(((unsigned int)raw) << 16); }
            static __device__ __forceinline__ Raw store(float value)
            {
                unsigned int bits = __float_as_uint(value);
                if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (Raw)((bits >> 16) | 0x40u);    // NaN stays NaN
                return (Raw)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);                       // round to nearest even
            }
        };

        struct F16
        {
            typedef unsigned short Raw;
            static __device__ __forceinline__ float load(Raw raw) { float value; asm("cvt.f32.f16 %0, %1;" : "=f"(value) : "h"(raw)); return value; }
            static __device__ __forceinline__ Raw store(float value) { Raw raw; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(raw) : "f"(value)); return raw; }
        };

        struct F32
        {
            typedef float Raw;
            static __device__ __forceinline__ float load(Raw raw) { return raw; }
            static __device__ __forceinline__ Raw store(float value) { return value; }
        };

        // The value a tensor of type T holds for an fp32 result.
        template <class T> __device__ __forceinline__ float rounded(float value) { return T::load(T::store(value)); }
        """;

    /// <summary>The suffix of a kernel's entry point for a tensor dtype (bf16, f16, f32).</summary>
    public static string Suffix(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "f16",
        _ => "f32",
    };
}
