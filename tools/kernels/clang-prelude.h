// Enough of CUDA's built-ins for clang to compile NVRTC sources here (no CUDA toolkit on this machine).
#include <__clang_cuda_builtin_vars.h>
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __attribute__((always_inline))
#define __restrict__ __restrict
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
__device__ inline float __uint_as_float(unsigned int v) { return __builtin_bit_cast(float, v); }
__device__ inline unsigned int __float_as_uint(float v) { return __builtin_bit_cast(unsigned int, v); }
__device__ inline float __int_as_float(int v) { return __builtin_bit_cast(float, v); }
__device__ inline float __shfl_xor_sync(unsigned mask, float v, int o) { return __nvvm_shfl_sync_bfly_f32(mask, v, o, 0x1f); }
__device__ inline int __shfl_xor_sync(unsigned mask, int v, int o) { return __nvvm_shfl_sync_bfly_i32(mask, v, o, 0x1f); }
__device__ inline float rsqrtf(float v) { return __nvvm_rsqrt_approx_f(v); }
__device__ inline float __expf(float v) { return __nvvm_ex2_approx_f(v * 1.4426950408889634f); }
__device__ inline float expf(float v) { return __expf(v); }   // NVRTC has the precise one; syntax only here
__device__ inline float fmaxf(float a, float b) { return __nvvm_fmax_f(a, b); }
__device__ inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { return (unsigned int)__nvvm_atom_add_gen_i((int*)p, (int)v); }
__device__ inline void __threadfence() { __nvvm_membar_gl(); }
__device__ inline float __fmul_rn(float a, float b) { return __nvvm_mul_rn_f(a, b); }
__device__ inline float __fmaf_rn(float a, float b, float c) { return __nvvm_fma_rn_f(a, b, c); }
__device__ inline float __fadd_rn(float a, float b) { return __nvvm_add_rn_f(a, b); }
__device__ inline float logf(float v) { return __nvvm_lg2_approx_f(v) * 0.6931471805599453f; }   // NVRTC has the precise one; syntax only here
__device__ inline float __shfl_sync(unsigned mask, float v, int lane) { return __nvvm_shfl_sync_idx_f32(mask, v, lane, 0x1f); }
__device__ inline unsigned long long atomicExch(unsigned long long* p, unsigned long long v) { return (unsigned long long)__nvvm_atom_xchg_gen_ll((long long*)p, (long long)v); }
__device__ inline void __syncwarp(unsigned mask = 0xFFFFFFFFu) { __nvvm_bar_warp_sync(mask); }
