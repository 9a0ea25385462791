/* Shared internals of the CUDA module: the per-thread context (cuBLAS
 * handle, small device scratch), the sticky error, launch helpers and warp
 * reductions.  Every op runs on cudaStreamPerThread, so host threads that
 * each drive their own network never serialise on the legacy stream. */
#ifndef TSF_GPU_CUDA_CTX_CUH
#define TSF_GPU_CUDA_CTX_CUH

#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <stddef.h>
#include "neural/backend.h"

/* One per host thread (a cuBLAS handle must not be used by two threads at
 * once).  Created on the thread's first op, never freed: the module is
 * never unloaded and the driver reclaims everything at exit. */
struct tk_ctx {
    int ready;
    cublasHandle_t blas;
    double *dsum;           /* device scalar for reductions (head_loss, sumsq) */
    void *bf16;             /* grow-only staging for BF16 GEMM operands */
    size_t bf16_bytes;
    int failed;             /* sticky: the first error's message is kept */
    char msg[256];
};

/* The calling thread's context, created on first use (NULL when that
 * failed; the failure is recorded in the context's msg). */
tk_ctx *tk_get(void);
/* Records the first error of this thread (printf-style). */
void tk_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Checks a runtime call / the last launch; records and returns 0 on error. */
int tk_check(cudaError_t e, const char *what);
int tk_check_blas(cublasStatus_t s, const char *what);
#define TK_LAUNCHED(what) tk_check(cudaGetLastError(), what)

/* Grid size for n elements in blocks of bs threads, capped (grid-stride
 * loops cover the rest). */
static inline unsigned tk_blocks(size_t n, unsigned bs)
{
    size_t b = (n + bs - 1) / bs;
    if (b > 65535u * 16u) b = 65535u * 16u;
    return b ? (unsigned)b : 1u;
}

__device__ __forceinline__ float tk_warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float tk_warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* Max / sum over a block (blockDim.x a multiple of 32) through red
 * (blockDim.x / 32 floats of shared memory); every thread gets the result. */
__device__ __forceinline__ float tk_block_max(float v, float *red)
{
    v = tk_warp_max(v);
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = v;
    __syncthreads();
    v = red[0];
    for (unsigned k = 1; k < blockDim.x / 32; k++) v = fmaxf(v, red[k]);
    __syncthreads();
    return v;
}

__device__ __forceinline__ float tk_block_sum(float v, float *red)
{
    v = tk_warp_sum(v);
    if (threadIdx.x % 32 == 0) red[threadIdx.x / 32] = v;
    __syncthreads();
    v = 0.0f;
    for (unsigned k = 0; k < blockDim.x / 32; k++) v += red[k];
    __syncthreads();
    return v;
}

/* x . y over n floats, in order (the CPU twins sum the same way). */
__device__ __forceinline__ float tk_dot(const float *x, const float *y, int n)
{
    float s = 0.0f;
    for (int d = 0; d < n; d++) s += x[d] * y[d];
    return s;
}

/* The end of a one-query attention step over ring caches of W positions
 * (one block per (b, h), blockDim.x a multiple of 32): the scores p[0..n)
 * of positions lo .. lo+n-1 (mx: this thread's max of them) become softmax
 * weights, block-wide through red, and out's row b, head h gets their
 * average of the value rows vc + ((b W + j % W) C + h hs). */
__device__ __forceinline__ void tk_ring_attend(float *out, float *p, float mx, int n,
                                               const float *vc, int b, int W, long long lo,
                                               int C, int h, int hs, float *red)
{
    mx = tk_block_max(mx, red);
    float s = 0.0f;
    for (int jj = threadIdx.x; jj < n; jj += blockDim.x) {
        p[jj] = expf(p[jj] - mx);
        s += p[jj];
    }
    s = tk_block_sum(s, red); /* its barrier also publishes p */
    float inv = 1.0f / s;
    for (int d = threadIdx.x; d < hs; d += blockDim.x) {
        float acc = 0.0f;
        for (int jj = 0; jj < n; jj++)
            acc += p[jj] * vc[((size_t)b * W + (size_t)((lo + jj) % W)) * C + (size_t)h * hs + d];
        out[(size_t)b * C + (size_t)h * hs + d] = acc * inv;
    }
}

/* Raises a kernel's dynamic shared memory limit when it needs more than
 * the default 48 KB (Hopper: up to 227 KB per block); 0 (error set) when
 * it needs more than that. */
static inline int tk_smem_ok(const void *kernel, size_t bytes, const char *what)
{
    if (bytes <= 48 * 1024) return 1;
    if (bytes > 227 * 1024) {
        tk_fail("%s: %zu bytes of shared memory needed, at most 227 KB", what, bytes);
        return 0;
    }
    return tk_check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                         (int)bytes), what);
}

__device__ __forceinline__ double tk_warp_sumd(double v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

void tk_colsum(float *dbias, const float *dout, size_t BT, size_t OC);

/* Elementwise kernels: a grid-stride loop over n elements, and a launch
 * of 256-thread blocks on the per-thread stream (nothing for n = 0). */
#define GRID_STRIDE(i, n)                                                                      \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n);                    \
         i += (size_t)gridDim.x * blockDim.x)
#define LAUNCH(kernel, n, what, ...)                                                           \
    do {                                                                                       \
        if ((n) != 0) {                                                                        \
            kernel<<<tk_blocks(n, 256), 256, 0, cudaStreamPerThread>>>(__VA_ARGS__);           \
            TK_LAUNCHED(what);                                                                 \
        }                                                                                      \
    } while (0)

/* Ops by file (the tables are assembled in cuda_module.cu). */
void tk_matmul_forward_fp32(float *, const float *, const float *, const float *, size_t, size_t,
                            size_t);
void tk_matmul_forward_tf32(float *, const float *, const float *, const float *, size_t, size_t,
                            size_t);
void tk_matmul_forward_bf16(float *, const float *, const float *, const float *, size_t, size_t,
                            size_t);
void tk_matmul_backward_fp32(float *, float *, float *, const float *, const float *,
                             const float *, size_t, size_t, size_t);
void tk_matmul_backward_tf32(float *, float *, float *, const float *, const float *,
                             const float *, size_t, size_t, size_t);
void tk_matmul_backward_bf16(float *, float *, float *, const float *, const float *,
                             const float *, size_t, size_t, size_t);
void tk_layernorm_forward(float *, float *, float *, const float *, const float *, const float *,
                          size_t, size_t);
void tk_layernorm_backward(float *, float *, float *, const float *, const float *, const float *,
                           const float *, const float *, size_t, size_t);
void tk_gelu_forward(float *, const float *, size_t);
void tk_gelu_backward(float *, const float *, const float *, size_t);
void tk_residual_forward(float *, const float *, const float *, size_t);
void tk_gru_forward(float *, float *, const float *, const float *, const float *, size_t, size_t);
void tk_gru_backward(float *, float *, float *, const float *, const float *, const float *,
                     const float *, size_t, size_t);
void tk_lstm_forward(float *, float *, float *, const float *, const float *, size_t, size_t);
void tk_lstm_backward(float *, float *, const float *, const float *, const float *,
                      const float *, const float *, size_t, size_t);
void tk_attention_forward(float *, float *, const float *, size_t, size_t, size_t, size_t, size_t);
void tk_attention_backward(float *, float *, const float *, const float *, const float *, size_t,
                           size_t, size_t, size_t, size_t);
void tk_attention_step(float *, const float *, const float *, const float *, size_t, size_t,
                       size_t, size_t, size_t, float *);
void tk_attention_step_shared(float *, const float *, const float *, const float *, size_t,
                              size_t, const float *, const float *, size_t, size_t, size_t,
                              size_t, size_t, size_t, float *);
/* The attention kernels' head-size limit (C / NH <= 256); records an
 * error naming what and returns 0 beyond it. */
int tk_attn_shape_ok(size_t C, size_t NH, const char *what);
void tk_sparse_attention_forward(float *, float *, const float *, size_t, size_t, size_t, size_t,
                                 tsf_nn_pattern);
void tk_sparse_attention_backward(float *, float *, const float *, const float *, const float *,
                                  size_t, size_t, size_t, size_t, tsf_nn_pattern);
void tk_sparse_attention_step(float *, const float *, const float *, const float *, size_t,
                              size_t, size_t, size_t, tsf_nn_pattern, float *);
double tk_head_loss(float *, float *, const float *, const float *, size_t, tsf_nn_head, float);
void tk_head_params(float *, float *, float *, const float *, size_t, tsf_nn_head);
double tk_sumsq(const float *, size_t);
void tk_head_draw_op(double *, const double *, const float *, size_t, tsf_nn_head, size_t, float,
                     float);
double tk_mixture_loss(float *, float *, const float *, const float *, size_t, size_t, float);
double tk_binned_loss(float *, float *, const float *, const float *, size_t, size_t, float, float,
                      float);
void tk_dilated_im2col(float *, const float *, size_t, size_t, size_t, size_t, size_t);
void tk_dilated_col2im(float *, const float *, size_t, size_t, size_t, size_t, size_t);
void tk_gated_forward(float *, const float *, size_t, size_t);
void tk_gated_backward(float *, const float *, const float *, size_t, size_t);
void tk_relu_forward(float *, const float *, size_t);
void tk_relu_backward(float *, const float *, const float *, size_t);
void tk_additive_forward(float *, float *, const float *, const float *, const float *,
                         const float *, const tsf_nn_add_geom *);
void tk_additive_backward(float *, float *, float *, float *, const float *, const float *,
                          const float *, const float *, const float *, const float *,
                          const tsf_nn_add_geom *, float *);
void tk_additive_step(float *, const float *, const float *, const float *, const float *, size_t,
                      size_t, size_t, size_t, size_t, int, float *);
void tk_scale(float *, float, size_t);
void tk_adamw_update(float *, const float *, float *, float *, size_t, float, float, float, float,
                     float, int);

#endif
