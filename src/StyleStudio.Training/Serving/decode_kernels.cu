// One decode step of one request (batch 1: the playground's case) in five kernels per layer, compiled by NVRTC at run
// time (see SingleRowDecoder.cs). The op sequence of serve_step.torchscript issues ~20 kernels a layer, most of them
// element-wise passes over a few kilobytes, and cuBLAS's matrix-vector products reach a fraction of the memory
// bandwidth at these sizes; here each weight matrix is read once by a kernel that also does the work around it:
//   decode_qkv        RMSNorm → q|k|v product (+ bias) → rotary on q and k → k, v written into the cache slot
//   decode_attention  scores, softmax and weighted values for one chunk of the cache per block (split over positions);
//                     each head's last chunk to finish merges the chunks
//   decode_residual   a product (o_proj, down_proj; its input vector staged in shared memory) added onto the residual
//                     stream in place
//   decode_gate_up    RMSNorm → gate|up product → SwiGLU
//   decode_head       the final RMSNorm → lm_head product (decode_head_rows4: four vocabulary rows a warp)
//   decode_choose_greedy  a greedy request's token (the logits' argmax), fed to the next step on the device
// Each kernel puts its first weight loads (and the attention its cached keys and values) in flight before it waits for
// the previous one (programmatic dependent launch, below). The position and token id are read from device memory, so
// one captured CUDA graph serves every step.
// Rounding follows the op sequence's: products accumulate in fp32 and are rounded to the model dtype where the op
// sequence stores a tensor (after each product, the normalised vector, rotary's two steps, SwiGLU's two steps, the
// residual sum), so the two paths differ only in the order of fp32 sums.
// Storage types: Bf16 and F16 (16-bit words) and F32. A uint4 of a row holds Vec elements.

struct Bf16
{
    typedef unsigned short Word;
    static const int Vec = 8;
    static __device__ __forceinline__ float load(Word v) { return __uint_as_float(((unsigned int)v) << 16); }
    static __device__ __forceinline__ Word store(float f)
    {
        unsigned int bits = __float_as_uint(f);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return (Word)0x7FC0u;           // NaN stays NaN
        return (Word)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);            // round to nearest even
    }
    static __device__ __forceinline__ float dot(uint4 a, uint4 b)
    {
        return pair(a.x, b.x) + pair(a.y, b.y) + pair(a.z, b.z) + pair(a.w, b.w);
    }
    static __device__ __forceinline__ float pair(unsigned int a, unsigned int b)
    {
        return __uint_as_float(a << 16) * __uint_as_float(b << 16)
             + __uint_as_float(a & 0xFFFF0000u) * __uint_as_float(b & 0xFFFF0000u);
    }
};

struct F16
{
    typedef unsigned short Word;
    static const int Vec = 8;
    static __device__ __forceinline__ float load(Word v)
    {
        float f;
        asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v));
        return f;
    }
    static __device__ __forceinline__ Word store(float f)
    {
        Word v;
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(v) : "f"(f));
        return v;
    }
    static __device__ __forceinline__ float dot(uint4 a, uint4 b)
    {
        return pair(a.x, b.x) + pair(a.y, b.y) + pair(a.z, b.z) + pair(a.w, b.w);
    }
    static __device__ __forceinline__ float pair(unsigned int a, unsigned int b)
    {
        return load((Word)(a & 0xFFFFu)) * load((Word)(b & 0xFFFFu)) + load((Word)(a >> 16)) * load((Word)(b >> 16));
    }
};

struct F32
{
    typedef float Word;
    static const int Vec = 4;
    static __device__ __forceinline__ float load(Word v) { return v; }
    static __device__ __forceinline__ Word store(float f) { return f; }
    static __device__ __forceinline__ float dot(uint4 a, uint4 b)
    {
        return __uint_as_float(a.x) * __uint_as_float(b.x) + __uint_as_float(a.y) * __uint_as_float(b.y)
             + __uint_as_float(a.z) * __uint_as_float(b.z) + __uint_as_float(a.w) * __uint_as_float(b.w);
    }
};

// Passes of an attention chunk's positions (a lane group's position each) whose keys and values decode_attention loads
// before it waits (registers: 2 · ATTENTION_PASSES uint4 a thread).
#ifndef ATTENTION_PASSES
#define ATTENTION_PASSES 8
#endif

// EARLY_OPERANDS: a kernel reads what it needs besides its weights and input — the norm's weights, a residual row, a
// bias, the rotary tables — before it waits, and the attention reads the newest key and value with the query, so
// that after the wait each kernel's chain holds one round trip to L2 where it held two or three (each ~0.3–0.5 µs
// under load, on the step's critical path some seven times a layer). The same sums in the same order; 0 runs the
// form before (the benchmark measures both).
#ifndef EARLY_OPERANDS
#define EARLY_OPERANDS 1
#endif

#define NEGATIVE_INFINITY __int_as_float(0xFF800000)

template <typename T> __device__ __forceinline__ float rounded(float f) { return T::load(T::store(f)); }

__device__ __forceinline__ float warp_sum(float v)
{
    #pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
    return v;
}

// A block-wide sum (every thread gets it); `scratch` holds 32 floats.
__device__ float block_sum(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();                       // scratch may still be read by a previous call
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ float block_max(float v, float* scratch)
{
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    #pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, offset));
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : NEGATIVE_INFINITY;
    #pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, offset));
    return v;
}

// A norm's weights as a thread uses them (elements threadIdx.x + k·blockDim.x), read before a kernel waits
// (EARLY_OPERANDS); `held` false where they do not fit NORM_HELD a thread (then normalize reads them itself). (Held two
// 16-bit weights to a register, the persistent step lost its 16 spilled bytes but no time: 4.036 against 4.026 ms at
// 7B, benchmarks/results/2026-12-04-bulk-stage-flat-stream-h200.jsonl.)
#define NORM_HELD 8
struct NormWeights
{
    float w[NORM_HELD];
    bool held;
};

template <typename T>
__device__ __forceinline__ NormWeights hold_norm(const typename T::Word* weight, int n)
{
    NormWeights norm;
    norm.held = EARLY_OPERANDS && n <= NORM_HELD * (int)blockDim.x;
    if (norm.held)
        #pragma unroll
        for (int k = 0; k < NORM_HELD; k++)
        {
            int i = threadIdx.x + k * blockDim.x;
            if (i < n) norm.w[k] = T::load(weight[i]);
        }
    return norm;
}

// A word read through L2 only. For what a kernel reads before it waits that an earlier kernel (or phase) wrote — a
// residual row, written at least two kernels back and so final — so that no line an earlier kernel left in this
// multiprocessor's L1 can answer it.
__device__ __forceinline__ float load_l2(const unsigned short* p, Bf16)
{
    unsigned short v;
    asm volatile("ld.global.cg.u16 %0, [%1];" : "=h"(v) : "l"(p));
    return Bf16::load(v);
}
__device__ __forceinline__ float load_l2(const unsigned short* p, F16)
{
    unsigned short v;
    asm volatile("ld.global.cg.u16 %0, [%1];" : "=h"(v) : "l"(p));
    return F16::load(v);
}
__device__ __forceinline__ float load_l2(const float* p, F32)
{
    float v;
    asm volatile("ld.global.cg.f32 %0, [%1];" : "=f"(v) : "l"(p));
    return v;
}

// Adds one to an arrival count and returns the count before: a release of this thread's writes (and, after a
// __syncthreads, its block's) and an acquire of those of every earlier arrival, in one round trip where a fence, the
// add and a second fence took three.
__device__ __forceinline__ unsigned int arrive(unsigned int* count)
{
    unsigned int before;
#if EARLY_OPERANDS
    asm volatile("atom.add.acq_rel.gpu.global.u32 %0, [%1], 1;" : "=r"(before) : "l"(count) : "memory");
#else
    __threadfence();
    before = atomicAdd(count, 1u);
    __threadfence();
#endif
    return before;
}

// weight ⊙ rms_norm(x) into shared memory, rounded as the op sequence rounds (the normalised x, then the product).
// With the weights held (hold_norm), x stays in registers between the sum and the product too.
template <typename T>
__device__ void normalize(const typename T::Word* x, const NormWeights& held, const typename T::Word* weight, float eps, int n,
    typename T::Word* out)
{
    __shared__ float scratch[32];
    float sum = 0.0f;
    if (held.held)
    {
        float v[NORM_HELD];
        #pragma unroll
        for (int k = 0; k < NORM_HELD; k++)
        {
            int i = threadIdx.x + k * blockDim.x;
            v[k] = i < n ? T::load(x[i]) : 0.0f;
        }
        #pragma unroll
        for (int k = 0; k < NORM_HELD; k++)
            if (threadIdx.x + k * blockDim.x < n) sum += v[k] * v[k];
        float scale = rsqrtf(block_sum(sum, scratch) / (float)n + eps);
        #pragma unroll
        for (int k = 0; k < NORM_HELD; k++)
        {
            int i = threadIdx.x + k * blockDim.x;
            if (i < n) out[i] = T::store(held.w[k] * rounded<T>(v[k] * scale));
        }
        __syncthreads();
        return;
    }
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        float v = T::load(x[i]);
        sum += v * v;
    }
    float scale = rsqrtf(block_sum(sum, scratch) / (float)n + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        out[i] = T::store(T::load(weight[i]) * rounded<T>(T::load(x[i]) * scale));
    __syncthreads();
}

// A step is latency-bound at these sizes (a matrix of a few megabytes is a few microseconds of bandwidth), so every
// lane puts BATCH 16-byte loads of its row in flight before it uses any of them.
// (16 in the persistent step's q|k|v or o_proj alone spilled 256 bytes a thread: 7B 4.05 → 4.29–4.35 ms a step,
// benchmarks/results/2026-12-04-step-forms-exchange-h200.jsonl.)
#define BATCH 8

// ATTENTION_PREFETCH: the persistent step asks L2 for each layer's cached keys and values (every position but the
// newest) before its q|k|v barrier, so that the attention's passes after the first find them there rather than in
// device memory, where a step's 15 GB of weights (7B) have long pushed them out.
#ifndef ATTENTION_PREFETCH
#define ATTENTION_PREFETCH 0
#endif

// FLAT_EXCHANGE: residual_flat's two pieces of a cut row meet in one 64-bit exchange that carries the partial sum (the
// second to arrive gets the first's), and the residual rows are read before the wait — one round trip to L2 after the
// products where an arrival, the partner's partial and the residual row took three.
#ifndef FLAT_EXCHANGE
#define FLAT_EXCHANGE 0
#endif

// A weight load: read once per step, so it skips L1 (the non-coherent path, no allocation there). (Asking L2 for
// 256-byte fetches, .L2::256B, made 7B's persistent step slower: 4.235 against 4.102 ms; .L2::evict_first does not
// assemble for 16-byte loads on sm_90 — benchmarks/results/2026-12-04-bulk-stage-flat-stream-h200.jsonl, call 7.)
__device__ __forceinline__ uint4 load_weight(const uint4* p)
{
    uint4 r;
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];" : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w) : "l"(p));
    return r;
}

// Asks L2 for the start of a row (a 128-byte line per lane, up to 4 KB: the first batch of loads) without waiting:
// issued before a kernel's prologue (the normalisation), so the memory is busy while the prologue runs. Bounded, so
// that what every resident warp asks for stays well inside L2.
__device__ __forceinline__ void prefetch_row(const void* row, int bytes)
{
    int line = threadIdx.x & 31;
    if (line * 128 < bytes) asm volatile("prefetch.global.L2 [%0];" :: "l"((const char*)row + line * 128));
}

// Programmatic dependent launch (Hopper on): the host launches each kernel allowed to start before the previous one
// has finished, so its launch and whatever it does before await_previous() — asking L2 for its first weight rows —
// overlap the previous kernel's tail. await_previous() returns once the previous kernel has completed and its writes
// are visible; release_next() lets the next kernel start (called once a kernel has its own work under way, so a
// waiting successor never takes the room of this kernel's blocks). Without the launch attribute both do nothing.
__device__ __forceinline__ void await_previous()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

__device__ __forceinline__ void release_next()
{
#if __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

// Work units are spread over warps, a warp per unit at a time. (Dealt out to each block's first warp, then each
// block's second, …, so that units beyond a multiple of the warps spread over every multiprocessor rather than fill
// the first few: no faster — 7B's persistent step 4.032 against 4.022 ms, 0.5B 0.677 against 0.666.)
#define FOR_EACH_UNIT(unit, units) \
    for (int unit = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); unit < (units); unit += gridDim.x * (blockDim.x >> 5))

// STAGE_AT_ONCE: in the separate kernels a thread's words of the vector (up to STAGE_WORDS) are all loaded before any
// is stored, one round trip to L2 — stored in turn, the loop's loads wait behind the stores of the round before (the
// compiler cannot tell a generic load from the shared memory the stores write). 0.5B's step 0.653 → 0.644 ms. Not in
// the persistent step, whose registers are the whole step's: it spilled 152 bytes a thread, 7B 4.061 → 4.143 ms; nor
// staged there by cp.async (no registers held): down_proj 1,048 → 1,071 µs a step
// (benchmarks/results/2026-12-04-step-forms-held-h200.jsonl).
#ifndef STAGE_AT_ONCE
#define STAGE_AT_ONCE 1
#endif
#define STAGE_WORDS 8

// How a phase waits for the one before it. As separate kernels: for the previous kernel (programmatic dependent
// launch, above). Inside decode_step's one persistent grid: at a barrier across the whole grid.
struct AwaitPreviousKernel
{
    static const int StageWords = STAGE_AT_ONCE ? STAGE_WORDS : 0;   // see staged_vector
    static const int FirstLoads = BATCH;                             // a lane's loads of a first unit before the wait
    __device__ __forceinline__ void operator()() const
    {
        await_previous();
        release_next();
    }
};

// The first phase of decode_step: nothing before it within the step.
struct NoWait
{
    static const int FirstLoads = BATCH;
    __device__ __forceinline__ void operator()() const { }
};

// A barrier across every block of a grid whose blocks are all resident at once (a cooperative launch guarantees it):
// each block's first thread adds to a counter whose top bit flips once all have arrived (block 0 adds 2³¹ − (n − 1),
// the others 1 each, so the low bits come back to where they were and the next barrier starts alike). The add
// releases the block's writes (ordered before it by __syncthreads) and the polling load acquires everyone's.
// With a timeline, block 0 records when each barrier opens (nanoseconds, %globaltimer): where a step's time goes.
// (The last block to arrive going on without a poll — its add acq_rel, the flip seen in what it returns — was neutral:
// 7B 4.071 ms against 4.069 polling, benchmarks/results/2026-12-04-step-forms-held-h200.jsonl.)
// BLOCK_TIMELINE: with a timeline, every block records its arrival at each barrier and when it saw it open, from
// BLOCK_TIMELINE_AT on (after block 0's openings; SingleRowDecoder.BlockStamps). Off unless asked: the stamps cost the
// step registers (a 120-byte stack where it has 16).
#ifndef BLOCK_TIMELINE
#define BLOCK_TIMELINE 0
#endif
#define BLOCK_TIMELINE_AT 1024

// GRID_BARRIER_OFF: a diagnostic only — a mask of the barriers (bit k: before phase k of a layer, 0 q|k|v, 1 the
// attention, 2 o_proj, 3 gate|up, 4 down_proj; 5 the head) that do nothing but the block's own __syncthreads, so blocks
// run on into the next phase with wrong inputs; the step's time then bounds what hiding those barriers could reach
// (SingleRowDecoder.BarriersOff). 7B on an H200: 3.49 ms a step with none against 4.14, ~0.6 ms of waiting for the
// slowest block and of memory idle after each barrier (benchmarks/results/2026-12-04-first-loads-barriers-off-h200.jsonl).
#ifndef GRID_BARRIER_OFF
#define GRID_BARRIER_OFF 0
#endif

// STEP_FIRST_LOADS: a lane's loads of its first unit's weights (every product; down_proj's first piece) that the
// persistent step issues before each barrier and holds in registers across it — in flight while the last blocks finish
// and the block normalises or stages its input, where prefetch_row alone left the memory idle from the barrier to the
// second batch. A quarter of a batch, so that the step keeps to its registers (SingleRowDecoder.StepFirstLoads: 7B
// 4.104 → 3.997 ms a step). Asking L2 for the rest of the first batch as well was slower (4.040 against 4.018 ms), and
// a norm's weights read after the barrier beside the input, to free registers for more loads, spilled more
// (benchmarks/results/2026-12-04-first-loads-barriers-off-h200.jsonl, calls 4 and 6).
#ifndef STEP_FIRST_LOADS
#define STEP_FIRST_LOADS 0                 // even: a rotary pair's or gate|up's two rows share them
#endif

struct GridBarrier
{
    static const int StageWords = 0;
    static const int FirstLoads = STEP_FIRST_LOADS > 0 ? STEP_FIRST_LOADS : BATCH;
    unsigned int* counter;
    unsigned long long* timeline;
    int* opened;
    int phase;                         // which barrier of a layer (see GRID_BARRIER_OFF)

    __device__ __forceinline__ GridBarrier before(int k) const
    {
        GridBarrier b = *this;
        b.phase = k;
        return b;
    }

    __device__ __forceinline__ void operator()() const
    {
        __syncthreads();
        if (GRID_BARRIER_OFF & (1 << phase)) return;
        if (threadIdx.x == 0)
        {
#if BLOCK_TIMELINE
            unsigned long long arrived = 0;
            if (timeline) asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(arrived));
#endif
            unsigned int add = blockIdx.x == 0 ? 0x80000000u - (gridDim.x - 1) : 1u, before, now;
            asm volatile("atom.add.release.gpu.global.u32 %0, [%1], %2;" : "=r"(before) : "l"(counter), "r"(add) : "memory");
            do asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(now) : "l"(counter) : "memory");
            while (((before ^ now) & 0x80000000u) == 0);
#if BLOCK_TIMELINE
            if (timeline)
            {
                unsigned long long at;
                asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(at));
                int k = (*opened)++;
                if (blockIdx.x == 0) timeline[k] = at;
                // Every block's arrival and the moment it saw the barrier open: where a phase's blocks finish apart, and
                // how long the last one's arrival takes to reach the others.
                unsigned long long* mine = timeline + BLOCK_TIMELINE_AT + 2 * ((long long)k * gridDim.x + blockIdx.x);
                mine[0] = arrived;
                mine[1] = at;
            }
#else
            if (timeline && blockIdx.x == 0)
            {
                unsigned long long at;
                asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(at));
                timeline[(*opened)++] = at;
            }
#endif
        }
        __syncthreads();
    }
};

// This warp's first work unit (see FOR_EACH_UNIT), or −1.
__device__ __forceinline__ int first_unit(int units)
{
    int unit = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    return unit < units ? unit : -1;
}

// R rows against one vector, sharing the vector's loads, with B loads a lane in flight (B / R of each row) before any
// is used; with `preloaded`, the first round's are already in `first` (load_first_rows). Each lane sums its words of a
// row in ascending order whatever R and B are, so every form gives the same bits.
template <typename T, int R, int B, int F = B>
__device__ __forceinline__ void warp_dot_rows(const typename T::Word* const (&rows)[R], const typename T::Word* v, int n,
    float (&out)[R], bool preloaded, const uint4 (&first)[B])
{
    const int L = B / R, LF = F / R;
    const uint4* v4 = (const uint4*)v;
    float acc[R];
    #pragma unroll
    for (int r = 0; r < R; r++) acc[r] = 0.0f;
    int lane = threadIdx.x & 31, n4 = n / T::Vec, base = lane;
    if (preloaded)
    {
        #pragma unroll
        for (int k = 0; k < LF; k++)
            if (base + 32 * k < n4)
            {
                uint4 x = v4[base + 32 * k];
                #pragma unroll
                for (int r = 0; r < R; r++) acc[r] += T::dot(first[r * LF + k], x);
            }
        base += 32 * LF;
    }
    for (; base < n4; base += 32 * L)
    {
        uint4 w[B];
        #pragma unroll
        for (int r = 0; r < R; r++)
            #pragma unroll
            for (int k = 0; k < L; k++)
                if (base + 32 * k < n4) w[r * L + k] = load_weight((const uint4*)rows[r] + base + 32 * k);
        #pragma unroll
        for (int k = 0; k < L; k++)
            if (base + 32 * k < n4)
            {
                uint4 x = v4[base + 32 * k];
                #pragma unroll
                for (int r = 0; r < R; r++) acc[r] += T::dot(w[r * L + k], x);
            }
    }
    #pragma unroll
    for (int r = 0; r < R; r++) out[r] = warp_sum(acc[r]);
}

template <typename T, int R, int B, int F = B>
__device__ __forceinline__ void load_first_rows(const typename T::Word* const (&rows)[R], int n, uint4 (&first)[B])
{
    const int L = F / R;
    int lane = threadIdx.x & 31, n4 = n / T::Vec;
    #pragma unroll
    for (int r = 0; r < R; r++)
        #pragma unroll
        for (int k = 0; k < L; k++)
            if (lane + 32 * k < n4) first[r * L + k] = load_weight((const uint4*)rows[r] + lane + 32 * k);
}

// The input vector of a residual product copied into shared memory (`staged`), or left where it is: read from global
// memory, every warp fetches its columns' words of the vector from L2 beside its weights, so L2 carries the vector as
// many times as there are rows — at 7B's down_proj (18,944 columns) as many bytes as the weights, more than L2 delivers
// at the memory's rate; from shared memory each block fetches the vector once. AtOnce: a thread's first AtOnce words
// loaded before any is stored (STAGE_AT_ONCE); 0: load, store, in turn.
template <typename T, int AtOnce = 0>
__device__ __forceinline__ const typename T::Word* staged_vector(const typename T::Word* v, int n, int staged)
{
    if (!staged) return v;
    extern __shared__ uint4 shared_vector[];
    const uint4* from = (const uint4*)v;
    int n4 = n / T::Vec;
    __syncthreads();                   // a previous phase of the persistent step may still read the shared memory
    int i = threadIdx.x;
    if (AtOnce > 0)
    {
        uint4 words[AtOnce > 0 ? AtOnce : 1];
        #pragma unroll
        for (int k = 0; k < AtOnce; k++)
            if (i + k * (int)blockDim.x < n4) words[k] = from[i + k * blockDim.x];
        #pragma unroll
        for (int k = 0; k < AtOnce; k++)
            if (i + k * (int)blockDim.x < n4) shared_vector[i + k * blockDim.x] = words[k];
        i += AtOnce * blockDim.x;
    }
    #pragma unroll 4
    for (; i < n4; i += blockDim.x) shared_vector[i] = from[i];
    __syncthreads();
    return (const typename T::Word*)shared_vector;
}

// Σ row · v over n elements by one warp (every lane gets the sum); rows and v 16-byte aligned, n a multiple of Vec.
template <typename T, int F = BATCH>
__device__ __forceinline__ float warp_dot(const typename T::Word* row, const typename T::Word* v, int n, bool preloaded,
    const uint4 (&first)[BATCH])
{
    const typename T::Word* rows[1] = { row };
    float sum[1];
    warp_dot_rows<T, 1, BATCH, F>(rows, v, n, sum, preloaded, first);
    return sum[0];
}

template <typename T>
__device__ __forceinline__ float warp_dot(const typename T::Word* row, const typename T::Word* v, int n)
{
    uint4 none[BATCH];
    return warp_dot<T>(row, v, n, false, none);
}

// Two rows against one vector (rotary partners), sharing the vector's loads.
template <typename T, int F = BATCH>
__device__ __forceinline__ void warp_dot2(const typename T::Word* row_a, const typename T::Word* row_b, const typename T::Word* v,
    int n, float& a, float& b, bool preloaded, const uint4 (&first)[BATCH])
{
    const typename T::Word* rows[2] = { row_a, row_b };
    float sums[2];
    warp_dot_rows<T, 2, BATCH, F>(rows, v, n, sums, preloaded, first);
    a = sums[0];
    b = sums[1];
}

// A q or k head's rotary partners j and j + D/2 (their products rounded, biases added) rotated and written to q or
// to the key cache: x·cos + roll(x, D/2)·signed sin, with the tables rounded to the model dtype, as serve_step does.
// What lane 0 of a q|k|v unit adds and rotates with besides the products: the rows' biases (0 without) and, for a
// rotary pair, the tables' entries at the position — read before the kernel waits (EARLY_OPERANDS) for its first unit.
struct QkvOperands
{
    float bias_a, bias_b, cos_a, cos_b, sin_a, sin_b;
};

template <typename T>
__device__ __forceinline__ QkvOperands qkv_operands(int unit, int pairs, int half, int head_dim, int heads, int kv_heads,
    const typename T::Word* bias, const float* cos_table, const float* sin_table, long long pos)
{
    QkvOperands o = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
    if (unit < pairs)
    {
        int j = unit % half, row = (unit / half) * head_dim + j;
        if (bias) { o.bias_a = T::load(bias[row]); o.bias_b = T::load(bias[row + half]); }
        const float* c = cos_table + pos * head_dim;
        const float* s = sin_table + pos * head_dim;
        o.cos_a = c[j];
        o.cos_b = c[j + half];
        o.sin_a = s[j];
        o.sin_b = s[j + half];
    }
    else if (bias) o.bias_a = T::load(bias[(heads + kv_heads) * head_dim + unit - pairs]);
    return o;
}

template <typename T>
__device__ __forceinline__ void write_rotated(int head, int j, float a, float b, const QkvOperands& o,
    long long pos, typename T::Word* q, typename T::Word* k_cache, int heads, int head_dim, long long slot_tokens)
{
    typedef typename T::Word W;
    int half = head_dim / 2;
    // Spelled out as one product and one fused multiply-add: written as a·c + b·s, the compiler may fuse either
    // product into the add, and did so differently in forms of the kernels that differ only around it (fp32 bits).
    W first = T::store(__fmaf_rn(b, rounded<T>(o.sin_a), rounded<T>(__fmul_rn(a, rounded<T>(o.cos_a)))));
    W second = T::store(__fmaf_rn(a, rounded<T>(o.sin_b), rounded<T>(__fmul_rn(b, rounded<T>(o.cos_b)))));
    W* out = head < heads ? q + head * head_dim : k_cache + ((long long)(head - heads) * slot_tokens + pos) * head_dim;
    out[j] = first;
    out[j + half] = second;
}

// A unit (a rotary pair or a v row) a warp. At 7B that leaves 448 of 2,112 warps three rows, six rounds of loads, where
// most have two; the persistent step's rows dealt out by blocks instead (each block's slabs cut into equal flat ranges
// of its warps, cut rows joined in shared memory: four rounds every warp) took 461–704 µs a step against 380–383: its
// loads chose among rows' addresses where these take immediate offsets from one row pointer
// (benchmarks/results/2026-12-04-greedy-in-step-qkv-in-blocks-h200.jsonl). Nor the left-over v rows given to the
// warps that had a v row and, cut in halves, to two warps of a block joined in shared memory (five rounds at most):
// q|k|v's last block came 74 µs a step sooner, but the step spilled 136 bytes a thread where it spills 16 — 4.161 ms
// against 4.094 (…-qkv-halves-no-step-past-end-h200.jsonl, calls 4–5; the code on the branch qkv-halves).
template <typename T, typename Wait>
__device__ void decode_qkv(const typename T::Word* x, const typename T::Word* norm, float eps, const typename T::Word* weight,
    const typename T::Word* bias, const float* cos_table, const float* sin_table, const long long* position,
    typename T::Word* q, typename T::Word* k_cache, typename T::Word* v_cache, int hidden, int heads, int kv_heads,
    int head_dim, long long slot_tokens, int preload, Wait wait)
{
    typedef typename T::Word W;
    extern __shared__ uint4 shared_vector[];
    W* h = (W*)shared_vector;
    int half = head_dim / 2, lane = threadIdx.x & 31;
    int pairs = (heads + kv_heads) * half;                 // rotary partners (j, j + D/2) of every q and k head
    int mine = first_unit(pairs + kv_heads * head_dim);
    uint4 first[BATCH];
    long long pos = *position;                             // written by the step before (the greedy choice) or the host
    NormWeights held = hold_norm<T>(norm, hidden);
    QkvOperands early = { 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
    if (EARLY_OPERANDS && mine >= 0 && lane == 0)
        early = qkv_operands<T>(mine, pairs, half, head_dim, heads, kv_heads, bias, cos_table, sin_table, pos);
    if (mine >= 0)
    {
        int row = mine < pairs ? (mine / half) * head_dim + mine % half : (heads + kv_heads) * head_dim + mine - pairs;
        const W* rows[2] = { weight + (long long)row * hidden, weight + (long long)(row + half) * hidden };
        const W* one[1] = { rows[0] };
        if (preload && mine < pairs) load_first_rows<T, 2, BATCH, Wait::FirstLoads>(rows, hidden, first);
        else if (preload) load_first_rows<T, 1, BATCH, Wait::FirstLoads>(one, hidden, first);
        else
        {
            prefetch_row(rows[0], hidden * (int)sizeof(W));
            if (mine < pairs) prefetch_row(rows[1], hidden * (int)sizeof(W));
        }
    }
    wait();
    normalize<T>(x, held, norm, eps, hidden, h);
    FOR_EACH_UNIT(unit, pairs + kv_heads * head_dim)
    {
        // Lane 0's operands: read before the wait for the first unit, before the products for any later one (after
        // them in the form before).
        QkvOperands o = early;
        if (EARLY_OPERANDS && lane == 0 && unit != mine)
            o = qkv_operands<T>(unit, pairs, half, head_dim, heads, kv_heads, bias, cos_table, sin_table, pos);
        if (unit < pairs)
        {
            int head = unit / half, j = unit % half;
            int row = head * head_dim + j;                 // q heads' rows first, then k heads' (the fused weight's order)
            float a, b;
            warp_dot2<T, Wait::FirstLoads>(weight + (long long)row * hidden, weight + (long long)(row + half) * hidden, h, hidden,
                a, b, preload && unit == mine, first);
            if (lane == 0)
            {
                if (!EARLY_OPERANDS) o = qkv_operands<T>(unit, pairs, half, head_dim, heads, kv_heads, bias, cos_table, sin_table, pos);
                if (bias) { a += o.bias_a; b += o.bias_b; }
                write_rotated<T>(head, j, rounded<T>(a), rounded<T>(b), o, pos, q, k_cache, heads, head_dim, slot_tokens);
            }
        }
        else
        {
            int v_row = unit - pairs;
            int row = (heads + kv_heads) * head_dim + v_row;
            float a = warp_dot<T, Wait::FirstLoads>(weight + (long long)row * hidden, h, hidden, preload && unit == mine, first);
            if (lane == 0)
            {
                if (!EARLY_OPERANDS) o = qkv_operands<T>(unit, pairs, half, head_dim, heads, kv_heads, bias, cos_table, sin_table, pos);
                if (bias) a += o.bias_a;
                v_cache[((long long)(v_row / head_dim) * slot_tokens + pos) * head_dim + v_row % head_dim] = T::store(a);
            }
        }
    }
}

// A thread's keys and values (one uint4 each) of its lane group's first P positions in a block's first attention chunk,
// loaded before the block waits for q|k|v: every position but the newest is already in the cache. P passes of the
// chunk's positions cover a short context whole (64 positions with head_dim 64), so after the wait the block reads
// only q and the newest key and value.
template <int P>
struct ChunkLoaded
{
    uint4 k[P], v[P];
    bool valid;                        // false: nothing loaded (a later chunk of the same block)
};

template <typename T, int P>
__device__ __forceinline__ ChunkLoaded<P> load_chunk(int head, int c, long long pos, long long first,
    const typename T::Word* k_cache, const typename T::Word* v_cache, int heads, int kv_heads, int head_dim,
    long long slot_tokens, int chunk)
{
    ChunkLoaded<P> loaded;
    loaded.valid = true;
    int group = head_dim / T::Vec, groups = blockDim.x / group;
    long long begin = (long long)c * chunk, end = (long long)(c + 1) * chunk;
    if (begin < first) begin = first;
    if (end > pos) end = pos;
    long long row = (long long)(head / (heads / kv_heads)) * slot_tokens;
    #pragma unroll
    for (int p = 0; p < P; p++)
    {
        long long at = begin + threadIdx.x / group + (long long)p * groups;
        if (at < end)
        {
            loaded.k[p] = ((const uint4*)(k_cache + (row + at) * head_dim))[threadIdx.x % group];
            loaded.v[p] = ((const uint4*)(v_cache + (row + at) * head_dim))[threadIdx.x % group];
        }
    }
    return loaded;
}

// One position's score by its lane group (every lane of the warp takes part in the shuffles; i ≥ count: none).
template <typename T>
__device__ __forceinline__ void score_position(int i, int count, uint4 k4, const float* q_row, int member, int group, float scale,
    float* weights)
{
    typedef typename T::Word W;
    float partial = 0.0f;
    if (i < count)
    {
        const W* kw = (const W*)&k4;
        #pragma unroll
        for (int e = 0; e < T::Vec; e++) partial += q_row[member * T::Vec + e] * T::load(kw[e]);
    }
    for (int offset = group >> 1; offset > 0; offset >>= 1) partial += __shfl_xor_sync(0xFFFFFFFFu, partial, offset);
    if (i < count && member == 0) weights[i] = partial * scale;
}

template <typename T>
__device__ __forceinline__ void add_value(uint4 v4, float p, float (&acc)[T::Vec])
{
    typedef typename T::Word W;
    const W* vw = (const W*)&v4;
    #pragma unroll
    for (int e = 0; e < T::Vec; e++) acc[e] += p * T::load(vw[e]);
}

// Block-wide: attends head `head` over cache positions [c·chunk, (c+1)·chunk) ∩ [first, pos] (nothing where that is
// empty), writing the chunk's max score, sum of exponentials and unnormalised weighted values; the head's last chunk
// to finish merges the chunks' partial softmaxes. `chunks` is the slot's count (the partials' stride).
template <typename T, int P>
__device__ void attention_chunk(int head, int c, int chunks, long long pos, long long first, const typename T::Word* q,
    const typename T::Word* k_cache, const typename T::Word* v_cache, float* part_max, float* part_sum, float* part_values,
    unsigned int* arrivals, typename T::Word* attended, int heads, int kv_heads, int head_dim, long long slot_tokens,
    float scale, int chunk, const ChunkLoaded<P>& loaded)
{
    typedef typename T::Word W;
    __shared__ float scratch[32];
    __shared__ unsigned int ticket;
    extern __shared__ float shared_floats[];
    float* q_row = shared_floats;                 // [head_dim]
    float* weights = shared_floats + head_dim;    // [chunk] scores, then [blockDim · Vec] sums
    int kv = head / (heads / kv_heads);
    long long begin = (long long)c * chunk, end = begin + chunk;
    if (end > pos + 1) end = pos + 1;
    if (begin < first) begin = first;
    if (begin >= end) return;          // the same for every thread of the block
    int count = (int)(end - begin);
    int group = head_dim / T::Vec, member = threadIdx.x % group, groups = blockDim.x / group;
    const W* keys = k_cache + ((long long)kv * slot_tokens + begin) * head_dim;
    const W* values = v_cache + ((long long)kv * slot_tokens + begin) * head_dim;
    // The newest position's key and value (q|k|v wrote them) read with the query, one round trip for all three
    // (EARLY_OPERANDS), by the lane group whose pass holds that position; in the form before, where its pass came.
    int newest = (int)(pos - begin);                       // its index in the chunk, or ≥ count
    bool mine_newest = EARLY_OPERANDS && newest < count && threadIdx.x / group == newest % groups;
    uint4 newest_k = { 0u, 0u, 0u, 0u }, newest_v = { 0u, 0u, 0u, 0u };
    if (mine_newest)
    {
        newest_k = ((const uint4*)(keys + (long long)newest * head_dim))[member];
        newest_v = ((const uint4*)(values + (long long)newest * head_dim))[member];
    }
    __syncthreads();                   // a previous chunk of this block may still read the shared memory
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) q_row[d] = T::load(q[head * head_dim + d]);
    __syncthreads();

    // Scores: a group of head_dim / Vec lanes per position, each lane one uint4 of the key; pass p takes positions
    // p · groups… of the chunk (the first P passes' keys loaded before the wait, but for the newest position).
    int passes = (count + groups - 1) / groups;
    #pragma unroll
    for (int p = 0; p < P; p++)
        if (p < passes)
        {
            int i = threadIdx.x / group + p * groups;
            uint4 k4 = { 0u, 0u, 0u, 0u };
            if (mine_newest && i == newest) k4 = newest_k;
            else if (i < count) k4 = loaded.valid && begin + i < pos ? loaded.k[p] : ((const uint4*)(keys + (long long)i * head_dim))[member];
            score_position<T>(i, count, k4, q_row, member, group, scale, weights);
        }
    // (Loading the keys of two or four of the passes after those together before scoring them made the persistent
    // step spill 24 or 16 bytes a thread and was no faster at 7B: 4.126 against 4.124 ms a step.)
    for (int p = P; p < passes; p++)
    {
        int i = threadIdx.x / group + p * groups;
        uint4 k4 = { 0u, 0u, 0u, 0u };
        if (mine_newest && i == newest) k4 = newest_k;
        else if (i < count) k4 = ((const uint4*)(keys + (long long)i * head_dim))[member];
        score_position<T>(i, count, k4, q_row, member, group, scale, weights);
    }
    __syncthreads();
    float local = NEGATIVE_INFINITY;
    for (int i = threadIdx.x; i < count; i += blockDim.x) local = fmaxf(local, weights[i]);
    float top = block_max(local, scratch);
    float sum = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        float e = __expf(weights[i] - top);
        weights[i] = e;
        sum += e;
    }
    sum = block_sum(sum, scratch);             // its leading __syncthreads also publishes the weights

    // Weighted values, in the scores' layout: a lane group per position, each lane Vec dimensions (one uint4 of the
    // row), so every lane issues a handful of 16-byte loads instead of one 2-byte load per position.
    float acc[T::Vec];
    #pragma unroll
    for (int e = 0; e < T::Vec; e++) acc[e] = 0.0f;
    #pragma unroll
    for (int p = 0; p < P; p++)
    {
        int i = threadIdx.x / group + p * groups;
        if (mine_newest && i == newest) add_value<T>(newest_v, weights[i], acc);
        else if (i < count)
            add_value<T>(loaded.valid && begin + i < pos ? loaded.v[p] : ((const uint4*)(values + (long long)i * head_dim))[member],
                weights[i], acc);
    }
    #pragma unroll 4
    for (int i = threadIdx.x / group + P * groups; i < count; i += groups)
        add_value<T>(mine_newest && i == newest ? newest_v : ((const uint4*)(values + (long long)i * head_dim))[member], weights[i], acc);
    __syncthreads();                                             // the weights are read; their room takes the sums
    float* sums = weights;                                       // [groups, head_dim]: blockDim · Vec floats
    #pragma unroll
    for (int e = 0; e < T::Vec; e++) sums[(threadIdx.x / group) * head_dim + member * T::Vec + e] = acc[e];
    __syncthreads();
    // The groups' sums of a dimension added in two levels where the block has a thread for every (dimension, Vec
    // groups): each adds Vec groups, then a thread a dimension adds those in order — at 512 threads and head_dim 64 a
    // chain of 8 + 8 shared reads where one thread a dimension read all 64 groups.
    int parts = blockDim.x / head_dim;
    float* part_totals = sums + groups * head_dim;               // [parts, head_dim]: blockDim floats
    if (parts > 1)
    {
        int d = threadIdx.x % head_dim, part = threadIdx.x / head_dim, per = groups / parts;
        float total = 0.0f;
        for (int g = part * per; g < (part + 1) * per; g++) total += sums[g * head_dim + d];
        part_totals[part * head_dim + d] = total;
        __syncthreads();
    }
    int slot = head * chunks + c;
    int lo = (int)(first / chunk), hi = (int)(pos / chunk);
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x)
    {
        float total = 0.0f;
        if (parts > 1)
            for (int part = 0; part < parts; part++) total += part_totals[part * head_dim + d];
        else
            for (int g = 0; g < groups; g++) total += sums[g * head_dim + d];
        // One chunk holds the whole context (a short playground prompt): its softmax is the head's, as the merge below
        // would find it (every factor e⁰ = 1), without the partials' round trip, fence and arrival.
        if (lo == hi) attended[head * head_dim + d] = T::store(total / sum);
        else part_values[(long long)slot * head_dim + d] = total;
    }
    if (lo == hi) return;
    if (threadIdx.x == 0)
    {
        part_max[slot] = top;
        part_sum[slot] = sum;
    }

    // The head's last chunk to finish merges the chunks' partial softmaxes into the attended vector (rounded to the
    // model dtype, as the op sequence stores it) and resets the head's arrival count for the next step.
    __syncthreads();
    if (threadIdx.x == 0) ticket = arrive(arrivals + head);    // releases the block's partials, acquires the others'
    __syncthreads();
    if (ticket != (unsigned int)(hi - lo)) return;
    const volatile float* m = part_max + head * chunks;          // volatile: written by other blocks, read past L1
    const volatile float* l = part_sum + head * chunks;
    const volatile float* partial = part_values + (long long)head * chunks * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x)
    {
        float best = NEGATIVE_INFINITY;
        for (int k = lo; k <= hi; k++) best = fmaxf(best, m[k]);
        float total = 0.0f, acc = 0.0f;
        for (int k = lo; k <= hi; k++)
        {
            float factor = __expf(m[k] - best);
            total += l[k] * factor;
            acc += partial[(long long)k * head_dim + d] * factor;
        }
        attended[head * head_dim + d] = T::store(acc / total);
    }
    if (threadIdx.x == 0) arrivals[head] = 0;
}

// The first cache position a step at `pos` attends to (a sliding window's start, or 0).
__device__ __forceinline__ long long window_start(long long pos, int window)
{
    return window > 0 && pos >= window ? pos - window + 1 : 0;
}

// As a kernel, grid (heads, chunks): block (head, c) attends over chunk c. Blocks wholly outside [first, pos] stop at
// once (the grid covers the slot, so that the graph does not change with the position).
template <typename T>
__device__ void decode_attention(const typename T::Word* q, const typename T::Word* k_cache, const typename T::Word* v_cache,
    const long long* position, float* part_max, float* part_sum, float* part_values, unsigned int* arrivals,
    typename T::Word* attended, int heads, int kv_heads, int head_dim, long long slot_tokens, int window, float scale, int chunk)
{
    long long pos = *position, first = window_start(pos, window);
    ChunkLoaded<ATTENTION_PASSES> loaded = load_chunk<T, ATTENTION_PASSES>(blockIdx.x, blockIdx.y, pos, first, k_cache, v_cache,
        heads, kv_heads, head_dim, slot_tokens, chunk);
    await_previous();
    release_next();
    attention_chunk<T>(blockIdx.x, blockIdx.y, gridDim.y, pos, first, q, k_cache, v_cache, part_max, part_sum, part_values,
        arrivals, attended, heads, kv_heads, head_dim, slot_tokens, scale, chunk, loaded);
}

// Asks L2 for the cached keys and values of positions [first, pos) of every KV head (a 128-byte line a thread of the
// whole grid, without waiting); see ATTENTION_PREFETCH.
template <typename T>
__device__ __forceinline__ void prefetch_cache(const typename T::Word* k_cache, const typename T::Word* v_cache, long long first,
    long long pos, int kv_heads, int head_dim, long long slot_tokens)
{
    long long row_bytes = (pos - first) * head_dim * (long long)sizeof(typename T::Word), lines = (row_bytes + 127) / 128;
    long long total = 2 * kv_heads * lines;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        long long which = i / lines, line = i % lines;
        const typename T::Word* cache = which < kv_heads ? k_cache : v_cache;
        long long kv = which % kv_heads;
        const char* at = (const char*)(cache + ((long long)kv * slot_tokens + first) * head_dim) + line * 128;
        asm volatile("prefetch.global.L2 [%0];" :: "l"(at));
    }
}

// In the persistent grid: the chunks that hold positions in [first, pos] of every head, spread over the blocks.
template <typename T, typename Wait>
__device__ void attention_phase(const typename T::Word* q, const typename T::Word* k_cache, const typename T::Word* v_cache,
    long long pos, float* part_max, float* part_sum, float* part_values, unsigned int* arrivals, typename T::Word* attended,
    int heads, int kv_heads, int head_dim, long long slot_tokens, int window, float scale, int chunk, int chunks, Wait wait)
{
    long long first = window_start(pos, window);
    int lo = (int)(first / chunk), live = (int)(pos / chunk) - lo + 1;
    // One pass loaded before the barrier: four or eight (of a 256-position chunk) made the step spill 104 or 232 bytes a
    // thread (its registers are the whole step's), 4.13 → 4.19 or 4.23 ms at 7B.
    ChunkLoaded<1> loaded;
    loaded.valid = false;
    if (blockIdx.x < heads * live)
        loaded = load_chunk<T, 1>(blockIdx.x / live, lo + blockIdx.x % live, pos, first, k_cache, v_cache, heads,
            kv_heads, head_dim, slot_tokens, chunk);
    wait();
    for (int unit = blockIdx.x; unit < heads * live; unit += gridDim.x)
    {
        attention_chunk<T>(unit / live, lo + unit % live, chunks, pos, first, q, k_cache, v_cache, part_max, part_sum,
            part_values, arrivals, attended, heads, kv_heads, head_dim, slot_tokens, scale, chunk, loaded);
        loaded.valid = false;
    }
}

// residual[row] += a (+ bias[row]), rounded as the op sequence rounds it.
template <typename T>
__device__ __forceinline__ void add_row(int row, float a, const typename T::Word* bias, typename T::Word* residual)
{
    if (bias) a += T::load(bias[row]);
    residual[row] = T::store(T::load(residual[row]) + rounded<T>(a));
}

// A residual row and its bias (0 without), read before the product waits (EARLY_OPERANDS): the residual was written
// two kernels (phases) back at the latest, so it is final, and read through L2.
struct RowOperands
{
    float residual, bias;
};

template <typename T>
__device__ __forceinline__ RowOperands row_operands(int row, const typename T::Word* bias, const typename T::Word* residual)
{
    RowOperands o;
    o.residual = load_l2(residual + row, T());
    o.bias = bias ? T::load(bias[row]) : 0.0f;
    return o;
}

template <typename T>
__device__ __forceinline__ void add_row(int row, float a, const typename T::Word* bias, const RowOperands& o, typename T::Word* residual)
{
    if (bias) a += o.bias;
    residual[row] = T::store(o.residual + rounded<T>(a));
}

// residual[row] += input · weight[row] (+ bias[row]), each rounded as the op sequence rounds it. A row's product is
// split over `split` work units of columns / split each (a long row — down_proj's — would otherwise keep one warp
// for several load round trips while others idle): each unit writes its fp32 partial, and the row's last unit to
// arrive sums the partials in order (deterministic) and updates the residual, then resets the row's count.
template <typename T, typename Wait>
__device__ void decode_residual(const typename T::Word* input, const typename T::Word* weight, const typename T::Word* bias,
    typename T::Word* residual, int rows, int columns, int split, float* partials, unsigned int* counts, int preload, int staged,
    Wait wait)
{
    typedef const typename T::Word* Row;
    int units = rows * split, part_columns = columns / split;
    int mine = first_unit(units);
    uint4 first[BATCH];
    RowOperands early = { 0.0f, 0.0f };
    if (EARLY_OPERANDS && mine >= 0 && (threadIdx.x & 31) == 0) early = row_operands<T>(mine / split, bias, residual);
    if (mine >= 0)
    {
        Row start[1] = { weight + (long long)(mine / split) * columns + (mine % split) * part_columns };
        if (preload) load_first_rows<T, 1, BATCH, Wait::FirstLoads>(start, part_columns, first);
        else prefetch_row(start[0], part_columns * (int)sizeof(typename T::Word));
    }
    wait();
    input = staged_vector<T, Wait::StageWords>(input, columns, staged);
    FOR_EACH_UNIT(unit, units)
    {
        int row = unit / split, part = unit % split;
        Row at[1] = { weight + (long long)row * columns + part * part_columns };
        float sum[1];
        warp_dot_rows<T, 1, BATCH, Wait::FirstLoads>(at, input + part * part_columns, part_columns, sum, preload && unit == mine, first);
        float a = sum[0];
        if ((threadIdx.x & 31) != 0) continue;
        if (split > 1)
        {
            partials[unit] = a;
            if (arrive(counts + row) != (unsigned int)(split - 1)) continue;
            const volatile float* parts = partials + (long long)row * split;   // other warps' writes, read past L1
            a = 0.0f;
            for (int k = 0; k < split; k++) a += parts[k];
            counts[row] = 0;
        }
        // Every part of a row reads its residual before the wait: whichever arrives last adds onto it.
        if (EARLY_OPERANDS && unit == mine) add_row<T>(row, a, bias, early, residual);
        else add_row<T>(row, a, bias, residual);
    }
}

// As decode_residual, with the rows' 16-byte words dealt out as one flat range a warp, of equal shares in steps of 32
// (a warp's loads of one round): where the rows do not divide over the warps — 7B's 3,584 rows over 2,112 warps
// left a third of them idle for half of down_proj — every warp streams the same bytes. Each share must cover at least
// a row, so that a row lies in one warp's range or across two: the piece that starts the row is part 0, the one that
// ends it part 1; the second to arrive adds them in that order (deterministic) onto the residual. (Dealt out so, q|k|v
// — its rotary partners joined through memory too — took 581–612 µs a step at 7B against 456–459 a unit a warp; and
// 0.5B's down_proj as kernels, 896 rows of 19 rounds in shares of 8–9, 0.84 ms a step against 0.74 a row a warp, its
// rows cut in up to four pieces joined through memory — 0.80 joined in shared memory, each block's rows shared out
// among its warps: a join's fences and round trips cost more than the rounds saved. Nor a warp's range streamed across
// its rows in full rounds of loads, a cut piece exchanged while the next round's loads fly: the same bits, but the step
// spilled 72–136 bytes a thread and down_proj took 1,065 µs a step against 1,044 at 7B; nor the input copied in by one
// cp.async.bulk a block: no spill, no faster — benchmarks/results/2026-12-04-bulk-stage-flat-stream-h200.jsonl, branch
// flat-stream-bulk-stage.)
template <typename T, typename Wait>
__device__ void residual_flat(const typename T::Word* input, const typename T::Word* weight, const typename T::Word* bias,
    typename T::Word* residual, int rows, int columns, float* partials, unsigned int* counts, int preload, int staged, Wait wait)
{
    uint4 first_loads[BATCH];
    int steps_per_row = columns / T::Vec / 32;
    long long total = (long long)rows * steps_per_row;
    long long warps = gridDim.x * (blockDim.x >> 5), warp = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    long long at = total * warp / warps, end = total * (warp + 1) / warps;
    int step_columns = 32 * T::Vec, lane = threadIdx.x & 31;
    int first_row = (int)(at / steps_per_row);
    RowOperands early = { 0.0f, 0.0f };
    if (at < end)
    {
        long long row_left = steps_per_row - at % steps_per_row, first_piece = end - at < row_left ? end - at : row_left;
        const typename T::Word* start[1] = { weight + (at / steps_per_row) * columns + (at % steps_per_row) * step_columns };
        if (preload) load_first_rows<T, 1, BATCH, Wait::FirstLoads>(start, (int)first_piece * step_columns, first_loads);
        else prefetch_row(start[0], (int)first_piece * step_columns * (int)sizeof(typename T::Word));
        // Lane k holds the residual row (and bias) of the warp's k-th piece (FLAT_EXCHANGE): rows past the 32nd piece
        // are read where they are added.
        if (FLAT_EXCHANGE && (long long)(first_row + lane) * steps_per_row < end) early = row_operands<T>(first_row + lane, bias, residual);
    }
    wait();
    input = staged_vector<T, Wait::StageWords>(input, columns, staged);
    bool preloaded = preload;                              // the first piece's first loads
    while (at < end)
    {
        int row = (int)(at / steps_per_row), first = (int)(at % steps_per_row);
        long long row_end = (long long)(row + 1) * steps_per_row, stop = end < row_end ? end : row_end;
        int count = (int)(stop - at);
        float a = warp_dot<T, Wait::FirstLoads>(weight + (long long)row * columns + first * step_columns, input + first * step_columns,
            count * step_columns, preloaded, first_loads);
        preloaded = false;
        at = stop;
#if FLAT_EXCHANGE
        RowOperands o = { __shfl_sync(0xFFFFFFFFu, early.residual, (row - first_row) & 31),
                          __shfl_sync(0xFFFFFFFFu, early.bias, (row - first_row) & 31) };
        if (lane != 0) continue;
        if (first != 0 || count != steps_per_row)
        {
            // The first piece to arrive leaves its sum (flagged in the high word) for the second, which gets it back
            // from the same exchange, adds part 0 + part 1 (the same bits either way round) and clears the slot.
            unsigned long long* slot = (unsigned long long*)counts + row;
            unsigned long long other = atomicExch(slot, (1ull << 32) | __float_as_uint(a));
            if (other == 0ull) continue;
            a += __uint_as_float((unsigned int)other);
            *slot = 0ull;
        }
        if (row - first_row < 32) add_row<T>(row, a, bias, o, residual);
        else add_row<T>(row, a, bias, residual);
#else
        if (lane != 0) continue;
        if (first != 0 || count != steps_per_row)
        {
            partials[2 * row + (first == 0 ? 0 : 1)] = a;
            if (arrive(counts + row) != 1u) continue;
            const volatile float* parts = partials + 2 * row;           // the other warp's write, read past L1
            a = parts[0] + parts[1];
            counts[row] = 0;
        }
        add_row<T>(row, a, bias, residual);
#endif
    }
}

// A gate row and its up row a work unit. (Two pairs a unit, twice the loads in flight, was slower at both shapes.)
template <typename T, typename Wait>
__device__ void decode_gate_up(const typename T::Word* x, const typename T::Word* norm, float eps, const typename T::Word* weight,
    typename T::Word* gated, int hidden, int inner, int preload, Wait wait)
{
    typedef typename T::Word W;
    extern __shared__ uint4 shared_vector[];
    W* h = (W*)shared_vector;
    int mine = first_unit(inner);
    uint4 first[BATCH];
    NormWeights held = hold_norm<T>(norm, hidden);
    if (mine >= 0)
    {
        const W* rows[2];
        rows[0] = weight + (long long)mine * hidden;
        rows[1] = weight + (long long)(inner + mine) * hidden;
        if (preload) load_first_rows<T, 2, BATCH, Wait::FirstLoads>(rows, hidden, first);
        else
        {
            prefetch_row(rows[0], hidden * (int)sizeof(W));
            prefetch_row(rows[1], hidden * (int)sizeof(W));
        }
    }
    wait();
    normalize<T>(x, held, norm, eps, hidden, h);
    FOR_EACH_UNIT(j, inner)
    {
        const W* rows[2] = { weight + (long long)j * hidden, weight + (long long)(inner + j) * hidden };
        float sums[2];
        warp_dot_rows<T, 2, BATCH, Wait::FirstLoads>(rows, h, hidden, sums, preload && j == mine, first);
        if ((threadIdx.x & 31) == 0)
        {
            float gate = rounded<T>(sums[0]);
            float silu = rounded<T>(gate / (1.0f + __expf(-gate)));
            gated[j] = T::store(silu * rounded<T>(sums[1]));
        }
    }
}

// R consecutive rows a work unit (vocab a multiple of R), B loads a lane in flight.
template <typename T, int R, int B, typename Wait>
__device__ void decode_head(const typename T::Word* x, const typename T::Word* norm, float eps, const typename T::Word* weight,
    typename T::Word* logits, int hidden, int vocab, int preload, Wait wait)
{
    typedef typename T::Word W;
    extern __shared__ uint4 shared_vector[];
    W* h = (W*)shared_vector;
    int mine = first_unit(vocab / R);
    uint4 first[B];
    NormWeights held = hold_norm<T>(norm, hidden);
    if (mine >= 0)
    {
        const W* rows[R];
        #pragma unroll
        for (int r = 0; r < R; r++) rows[r] = weight + (long long)(mine * R + r) * hidden;
        if (preload) load_first_rows<T, R, B, Wait::FirstLoads * B / BATCH>(rows, hidden, first);
        else
            #pragma unroll
            for (int r = 0; r < R; r++) prefetch_row(rows[r], hidden * (int)sizeof(W));
    }
    wait();
    normalize<T>(x, held, norm, eps, hidden, h);
    FOR_EACH_UNIT(unit, vocab / R)
    {
        const W* rows[R];
        #pragma unroll
        for (int r = 0; r < R; r++) rows[r] = weight + (long long)(unit * R + r) * hidden;
        float sums[R];
        warp_dot_rows<T, R, B, Wait::FirstLoads * B / BATCH>(rows, h, hidden, sums, preload && unit == mine, first);
        if ((threadIdx.x & 31) == 0)
            #pragma unroll
            for (int r = 0; r < R; r++) logits[unit * R + r] = T::store(sums[r]);
    }
}

template <typename T, typename Wait>
__device__ void decode_embed(const typename T::Word* table, const long long* id, typename T::Word* x, int hidden, Wait wait)
{
    wait();
    long long token = *id;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < hidden; i += gridDim.x * blockDim.x) x[i] = table[token * hidden + i];
}

// The greedy choice, made on the device so that a lone greedy request's steps feed each other without the host:
// the first index of the largest logit (torch.argmax's choice; NaN counts as the largest, the first NaN as there),
// written as the next step's token and as `chosen` (what the host reads), and the position moved one on (held at
// `last`). Each block takes a word (Vec logits) a thread and leaves its best in `scratch`; the last block to arrive
// (`scratch`'s count) picks among them — the order is total, so the choice does not depend on who arrives when — and
// resets the count.
__device__ __forceinline__ bool beats(float a, int ia, float b, int ib)
{
    bool a_nan = a != a, b_nan = b != b;
    if (a_nan || b_nan) return a_nan && (!b_nan || ia < ib);
    return a > b || (a == b && ia < ib);
}

// The block's best (value, index) to every thread of warp 0 (lane 0 holds it for certain).
__device__ __forceinline__ void block_best(float& best, int& at)
{
    __shared__ float values[32];
    __shared__ int indices[32];
    #pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(0xFFFFFFFFu, best, offset);
        int i = __shfl_xor_sync(0xFFFFFFFFu, at, offset);
        if (beats(v, i, best, at)) { best = v; at = i; }
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    if (lane == 0) { values[warp] = best; indices[warp] = at; }
    __syncthreads();
    best = lane < warps ? values[lane] : NEGATIVE_INFINITY;
    at = lane < warps ? indices[lane] : 0x7FFFFFFF;
    #pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(0xFFFFFFFFu, best, offset);
        int i = __shfl_xor_sync(0xFFFFFFFFu, at, offset);
        if (beats(v, i, best, at)) { best = v; at = i; }
    }
}

template <typename T>
__device__ void choose_greedy(const typename T::Word* logits, int vocab, long long* ids, long long* position, long long last,
    long long* chosen, unsigned int* scratch)
{
    __shared__ bool is_last;
    await_previous();
    release_next();
    float best = NEGATIVE_INFINITY;
    int at = 0x7FFFFFFF;
    int words = vocab / T::Vec;
    for (int w = blockIdx.x * blockDim.x + threadIdx.x; w < words; w += gridDim.x * blockDim.x)
    {
        uint4 word = ((const uint4*)logits)[w];
        const typename T::Word* v = (const typename T::Word*)&word;
        #pragma unroll
        for (int k = 0; k < T::Vec; k++)
        {
            float x = T::load(v[k]);
            if (beats(x, w * T::Vec + k, best, at)) { best = x; at = w * T::Vec + k; }
        }
    }
    for (int i = words * T::Vec + blockIdx.x * blockDim.x + threadIdx.x; i < vocab; i += gridDim.x * blockDim.x)
    {
        float x = T::load(logits[i]);
        if (beats(x, i, best, at)) { best = x; at = i; }
    }
    block_best(best, at);
    // scratch: [0] the count of blocks done, then each block's best value (as bits) and index.
    if (threadIdx.x == 0)
    {
        scratch[1 + 2 * blockIdx.x] = __float_as_uint(best);
        scratch[2 + 2 * blockIdx.x] = (unsigned int)at;
        is_last = arrive(scratch) == gridDim.x - 1;
    }
    __syncthreads();
    if (!is_last) return;
    const volatile unsigned int* parts = scratch;          // the other blocks' writes, read past L1
    best = NEGATIVE_INFINITY;
    at = 0x7FFFFFFF;
    for (int b = threadIdx.x; b < gridDim.x; b += blockDim.x)
    {
        float v = __uint_as_float(parts[1 + 2 * b]);
        int i = (int)parts[2 + 2 * b];
        if (beats(v, i, best, at)) { best = v; at = i; }
    }
    block_best(best, at);
    if (threadIdx.x != 0) return;
    if (at == 0x7FFFFFFF) at = 0;          // no logits: torch's argmax of an all −∞ row answers 0 (and so does this)
    ids[0] = at;
    chosen[0] = at;
    long long next = position[0] + 1;
    position[0] = next < last ? next : last;
    scratch[0] = 0u;
}

// A layer's weights and cache as decode_step reads them: device addresses, LayerPointer::Count per layer.
struct LayerPointer
{
    enum { InputNorm, Qkv, QkvBias, O, OBias, PostNorm, GateUp, Down, Keys, Values, Count };
};

// The whole step in one persistent grid (a cooperative launch: every block resident), the phases above separated by
// grid-wide barriers instead of kernel boundaries — at Qwen2.5-0.5B a step is ~120 phases of a few microseconds of
// memory traffic each, where a launch costs as much as the phase. Each phase asks L2 for its warps' first rows before
// its barrier (prefetch_row). Asking for the coming phases' weights further ahead (up to 64 KB a warp), or loading a
// warp's first batch into registers before the barrier, made no step faster on an H200 (the latter cost registers).
// At Qwen2.5-0.5B this form is slower than the separate kernels (SingleRowDecoder.PersistentSuits). Nor did the blocks
// the attention phase leaves idle (104 of 132 at 7B) asking L2 for all of o_proj's rows help, even arriving at o_proj's
// barrier first: the o_proj phase took 280 µs a step instead of 318, the attention 279 instead of 233 (4.113 ms against
// 4.100; benchmarks/results/2026-12-03-step-forms-attention-threads-h200.jsonl); nor with the cache asked ahead
// (ATTENTION_PREFETCH), the attention's passes waiting on L2: o_proj 314 → 275 µs, the attention 204 → 242, the step
// 4.036 against 4.053 ms — within the spread of rounds (2026-12-04-step-forms-exchange-h200.jsonl). Nor gate|up and
// down_proj as one phase, each block multiplying its SwiGLU values by its slice of down_proj's columns and a short phase
// adding the blocks' partials: 4.87 ms against 4.05 (the adding phase alone 151 µs a step, what down_proj's own start
// and end had cost), same file. Nor each warp's first 8 KB of a phase's weights copied into shared memory by cp.async
// (no registers held) before the phase's barrier: q|k|v's phase 374 → 310 µs a step, but down_proj, in whose tail the
// copies ran, 1,051 → 1,120, and in every phase 4.03 → 4.31–4.42 ms; started right after the barrier instead, slower
// still (2026-12-04-step-forms-held-h200.jsonl) — a phase's tail is not idle memory.
template <typename T>
__device__ void decode_step(const long long* layers, int layer_count, const typename T::Word* embed, const long long* id,
    const long long* position, typename T::Word* x, typename T::Word* q, typename T::Word* attended, typename T::Word* gated,
    float* part_max, float* part_sum, float* part_values, unsigned int* arrivals, unsigned int* barrier,
    const typename T::Word* final_norm, const typename T::Word* lm_head, typename T::Word* logits, const float* cos_table,
    const float* sin_table, float eps, float scale, int hidden, int heads, int kv_heads, int head_dim, int inner, int vocab,
    long long slot_tokens, int window, int chunk, int chunks, int o_split, int down_split, float* partials, unsigned int* counts,
    int staged, unsigned long long* timeline)
{
    typedef typename T::Word W;
    // A phase's first weights in registers across its barrier: STEP_FIRST_LOADS of them a lane. A whole batch spilled
    // 72–136 bytes a thread, 4.08 → 4.17–4.28 ms at 7B, before the barrier or after it
    // (benchmarks/results/2026-12-03-step-forms-early-operands-h200.jsonl); two a lane spill less than none did.
    const int preload = STEP_FIRST_LOADS > 0;

    int opened = 1;
    GridBarrier sync = { barrier, timeline, &opened, 0 };
    if (timeline && threadIdx.x == 0 && (BLOCK_TIMELINE || blockIdx.x == 0))
    {
        unsigned long long at;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(at));
        if (blockIdx.x == 0) timeline[0] = at;
        if (BLOCK_TIMELINE) timeline[BLOCK_TIMELINE_AT + 2 * blockIdx.x] = timeline[BLOCK_TIMELINE_AT + 2 * blockIdx.x + 1] = at;
    }
    long long pos = *position;
    decode_embed<T>(embed, id, x, hidden, NoWait());
    for (int layer = 0; layer < layer_count; layer++)
    {
        const long long* p = layers + (long long)layer * LayerPointer::Count;
        W* k_cache = (W*)p[LayerPointer::Keys];
        W* v_cache = (W*)p[LayerPointer::Values];
        if (ATTENTION_PREFETCH) prefetch_cache<T>(k_cache, v_cache, window_start(pos, window), pos, kv_heads, head_dim, slot_tokens);
        decode_qkv<T>(x, (const W*)p[LayerPointer::InputNorm], eps, (const W*)p[LayerPointer::Qkv], (const W*)p[LayerPointer::QkvBias],
            cos_table, sin_table, position, q, k_cache, v_cache, hidden, heads, kv_heads, head_dim, slot_tokens, preload, sync.before(0));
        attention_phase<T>(q, k_cache, v_cache, pos, part_max, part_sum, part_values, arrivals, attended, heads, kv_heads,
            head_dim, slot_tokens, window, scale, chunk, chunks, sync.before(1));
        if (o_split == 0)
            residual_flat<T>(attended, (const W*)p[LayerPointer::O], (const W*)p[LayerPointer::OBias], x, hidden, heads * head_dim,
                partials, counts, preload, staged, sync.before(2));
        else
            decode_residual<T>(attended, (const W*)p[LayerPointer::O], (const W*)p[LayerPointer::OBias], x, hidden, heads * head_dim,
                o_split, partials, counts, preload, staged, sync.before(2));
        decode_gate_up<T>(x, (const W*)p[LayerPointer::PostNorm], eps, (const W*)p[LayerPointer::GateUp], gated, hidden, inner, preload, sync.before(3));
        if (down_split == 0)
            residual_flat<T>(gated, (const W*)p[LayerPointer::Down], (const W*)0, x, hidden, inner, partials, counts, preload, staged,
                sync.before(4));
        else decode_residual<T>(gated, (const W*)p[LayerPointer::Down], (const W*)0, x, hidden, inner, down_split, partials, counts, preload, staged, sync.before(4));
    }
    decode_head<T, 1, BATCH>(x, final_norm, eps, lm_head, logits, hidden, vocab, preload, sync.before(5));
    if (timeline) sync();                  // the head's end
}

// decode_attention's blocks have up to 512 threads (SingleRowDecoder.AttentionThreads): at most 128 registers a thread
// on every device, so that such a block always launches. The separate kernels of 256 threads: blocks a multiprocessor
// the compiler must leave room for (registers).
#ifndef SEPARATE_MIN_BLOCKS
#define SEPARATE_MIN_BLOCKS 2
#endif
#define SEPARATE_BOUNDS __launch_bounds__(256, SEPARATE_MIN_BLOCKS)

#define DECODE_KERNELS(S, T)                                                                                                     \
extern "C" __global__ void SEPARATE_BOUNDS decode_qkv_##S(const T::Word* x, const T::Word* norm, float eps, const T::Word* weight,               \
    const T::Word* bias, const float* cos_table, const float* sin_table, const long long* position, T::Word* q,                  \
    T::Word* k_cache, T::Word* v_cache, int hidden, int heads, int kv_heads, int head_dim, long long slot_tokens, int preload)   \
{ decode_qkv<T>(x, norm, eps, weight, bias, cos_table, sin_table, position, q, k_cache, v_cache, hidden, heads, kv_heads,        \
    head_dim, slot_tokens, preload, AwaitPreviousKernel()); }                                                                    \
extern "C" __global__ void __launch_bounds__(512) decode_attention_##S(const T::Word* q, const T::Word* k_cache, const T::Word* v_cache,                \
    const long long* position, float* part_max, float* part_sum, float* part_values, unsigned int* arrivals, T::Word* attended,  \
    int heads, int kv_heads, int head_dim, long long slot_tokens, int window, float scale, int chunk)                            \
{ decode_attention<T>(q, k_cache, v_cache, position, part_max, part_sum, part_values, arrivals, attended, heads, kv_heads,       \
    head_dim, slot_tokens, window, scale, chunk); }                                                                              \
extern "C" __global__ void SEPARATE_BOUNDS decode_residual_##S(const T::Word* input, const T::Word* weight, const T::Word* bias,                 \
    T::Word* residual, int rows, int columns, int split, float* partials, unsigned int* counts, int preload, int staged)        \
{ decode_residual<T>(input, weight, bias, residual, rows, columns, split, partials, counts, preload, staged,                     \
    AwaitPreviousKernel()); }                                                                                                    \
extern "C" __global__ void SEPARATE_BOUNDS decode_gate_up_##S(const T::Word* x, const T::Word* norm, float eps, const T::Word* weight,           \
    T::Word* gated, int hidden, int inner, int preload)                                                                          \
{ decode_gate_up<T>(x, norm, eps, weight, gated, hidden, inner, preload, AwaitPreviousKernel()); }                               \
extern "C" __global__ void decode_head_##S(const T::Word* x, const T::Word* norm, float eps, const T::Word* weight,              \
    T::Word* logits, int hidden, int vocab, int preload)                                                                         \
{ decode_head<T, 1, BATCH>(x, norm, eps, weight, logits, hidden, vocab, preload, AwaitPreviousKernel()); }                       \
extern "C" __global__ void decode_head_rows4_##S(const T::Word* x, const T::Word* norm, float eps, const T::Word* weight,        \
    T::Word* logits, int hidden, int vocab, int preload)                                                                         \
{ decode_head<T, 4, 2 * BATCH>(x, norm, eps, weight, logits, hidden, vocab, preload, AwaitPreviousKernel()); }                   \
extern "C" __global__ void decode_choose_greedy_##S(const T::Word* logits, int vocab, long long* ids, long long* position,      \
    long long last, long long* chosen, unsigned int* scratch)                                                                    \
{ choose_greedy<T>(logits, vocab, ids, position, last, chosen, scratch); }                                                       \
extern "C" __global__ void decode_embed_##S(const T::Word* table, const long long* id, T::Word* x, int hidden)                   \
{ decode_embed<T>(table, id, x, hidden, AwaitPreviousKernel()); }                                                                \
extern "C" __global__ void __launch_bounds__(512, 1) decode_step_##S(const long long* layers, int layer_count,                   \
    const T::Word* embed, const long long* id,                                                                                   \
    const long long* position, T::Word* x, T::Word* q, T::Word* attended, T::Word* gated, float* part_max, float* part_sum,      \
    float* part_values, unsigned int* arrivals, unsigned int* barrier, const T::Word* final_norm, const T::Word* lm_head,        \
    T::Word* logits, const float* cos_table, const float* sin_table, float eps, float scale, int hidden, int heads, int kv_heads, \
    int head_dim, int inner, int vocab, long long slot_tokens, int window, int chunk, int chunks, int o_split, int down_split,    \
    float* partials, unsigned int* counts, int staged, unsigned long long* timeline)                                             \
{ decode_step<T>(layers, layer_count, embed, id, position, x, q, attended, gated, part_max, part_sum, part_values, arrivals,     \
    barrier, final_norm, lm_head, logits, cos_table, sin_table, eps, scale, hidden, heads, kv_heads, head_dim, inner, vocab,     \
    slot_tokens, window, chunk, chunks, o_split, down_split, partials, counts, staged, timeline); }

DECODE_KERNELS(bf16, Bf16)
DECODE_KERNELS(f16, F16)
DECODE_KERNELS(f32, F32)
