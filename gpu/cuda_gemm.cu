/* Linear maps through cuBLAS (cublasGemmEx), FP32 accumulation always;
 * the operand format is the precision: FP32 (CUBLAS_COMPUTE_32F), TF32
 * tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32: fp32 operands rounded to
 * 10-bit mantissas inside the tensor core), or BF16 operands (converted
 * from the fp32 master copies into a grow-only staging buffer, round to
 * nearest even as tk_bf16_bits) with an fp32 C/D.
 *
 * The transposes and leading dimensions of each call are the plans of
 * kernel_math.h (tk_plan_*), verified on the host by test_kernel_math. */
#include <cuda_bf16.h>
#include "cuda_ctx.cuh"
#include "kernel_math.h"

enum prec { P_FP32, P_TF32, P_BF16 };

__global__ void k_bias_rows(float *out, const float *bias, size_t BT, size_t OC)
{
    size_t n = BT * OC;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = bias[i % OC];
}

__global__ void k_to_bf16(__nv_bfloat16 *dst, const float *src, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dst[i] = __float2bfloat16_rn(src[i]);
}

/* dbias (OC) += column sums of dout (BT,OC): blocks of 32 columns x 8 row
 * lanes, rows split over grid.y, partial sums combined with atomicAdd. */
__global__ void k_colsum(float *dbias, const float *dout, size_t BT, size_t OC)
{
    __shared__ float part[8][33];
    size_t c = blockIdx.x * 32 + threadIdx.x;
    float s = 0.0f;
    if (c < OC)
        for (size_t r = blockIdx.y * 8 + threadIdx.y; r < BT; r += (size_t)gridDim.y * 8)
            s += dout[r * OC + c];
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < OC) {
        for (int k = 1; k < 8; k++) s += part[k][threadIdx.x];
        atomicAdd(dbias + c, s);
    }
}

void tk_colsum(float *dbias, const float *dout, size_t BT, size_t OC)
{
    unsigned gy = (unsigned)((BT + 255) / 256);
    if (gy > 1024) gy = 1024;
    if (!gy) gy = 1;
    dim3 grid((unsigned)((OC + 31) / 32), gy), block(32, 8);
    k_colsum<<<grid, block, 0, cudaStreamPerThread>>>(dbias, dout, BT, OC);
    TK_LAUNCHED("column sum");
}

/* Staging for BF16 operands: two regions (A and B) of the grow-only
 * buffer; it grows to the largest GEMM of the first step, then stays. */
static int stage_bf16(tk_ctx *c, size_t na, size_t nb, __nv_bfloat16 **a, __nv_bfloat16 **b)
{
    size_t need = (na + nb + 64) * sizeof(__nv_bfloat16);
    if (need > c->bf16_bytes) {
        if (c->bf16) tk_check(cudaFree(c->bf16), "cudaFree (bf16 staging)");
        c->bf16 = NULL;
        c->bf16_bytes = 0;
        if (!tk_check(cudaMalloc(&c->bf16, need), "cudaMalloc (bf16 staging)")) return 0;
        c->bf16_bytes = need;
    }
    *a = (__nv_bfloat16 *)c->bf16;
    *b = *a + ((na + 31) / 32) * 32; /* 64-byte aligned */
    return 1;
}

static void convert(__nv_bfloat16 *dst, const float *src, size_t n)
{
    k_to_bf16<<<tk_blocks(n, 256), 256, 0, cudaStreamPerThread>>>(dst, src, n);
    TK_LAUNCHED("bf16 conversion");
}

/* C (m,n col-major, ldc) = alpha op(A) op(B) + beta C, operands fp32 in
 * device memory; A is (m,k) after op, B (k,n). */
static void gemm(enum prec p, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                 const float *A, int lda, size_t na, const float *B, int ldb, size_t nb,
                 float beta, float *C, int ldc)
{
    tk_ctx *c = tk_get();
    if (!c || !m || !n) return;
    const float one = 1.0f;
    if (p == P_BF16) {
        __nv_bfloat16 *a16, *b16;
        if (!stage_bf16(c, na, nb, &a16, &b16)) return;
        convert(a16, A, na);
        convert(b16, B, nb);
        tk_check_blas(cublasGemmEx(c->blas, ta, tb, m, n, k, &one, a16, CUDA_R_16BF, lda, b16,
                                   CUDA_R_16BF, ldb, &beta, C, CUDA_R_32F, ldc,
                                   CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                      "cublasGemmEx (bf16)");
        return;
    }
    cublasComputeType_t ct = p == P_TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    tk_check_blas(cublasGemmEx(c->blas, ta, tb, m, n, k, &one, A, CUDA_R_32F, lda, B, CUDA_R_32F,
                               ldb, &beta, C, CUDA_R_32F, ldc, ct, CUBLAS_GEMM_DEFAULT),
                  "cublasGemmEx");
}

/* Runs a plan of kernel_math.h on the operands inp, weight, dout (sizes
 * in elements, for the bf16 staging) into C. */
static void run_plan(enum prec p, tk_gemm_plan pl, const float *const mats[3],
                     const size_t sizes[3], float *C)
{
    gemm(p, pl.ta ? CUBLAS_OP_T : CUBLAS_OP_N, pl.tb ? CUBLAS_OP_T : CUBLAS_OP_N, pl.m, pl.n,
         pl.k, mats[pl.a], pl.lda, sizes[pl.a], mats[pl.b], pl.ldb, sizes[pl.b], pl.beta, C,
         pl.ldc);
}

// inp (BT,C) @ weight (OC,C)^T + bias (OC) -> out (BT,OC)
static void mm_fwd(enum prec p, float *out, const float *inp, const float *weight,
                   const float *bias, size_t BT, size_t C, size_t OC)
{
    if (bias) {
        k_bias_rows<<<tk_blocks(BT * OC, 256), 256, 0, cudaStreamPerThread>>>(out, bias, BT, OC);
        TK_LAUNCHED("bias broadcast");
    }
    const float *mats[3] = {inp, weight, NULL};
    const size_t sizes[3] = {BT * C, OC * C, BT * OC};
    run_plan(p, tk_plan_forward(BT, C, OC, bias != NULL), mats, sizes, out);
}

// dout (BT,OC) -> dinp (BT,C) +=, dweight (OC,C) +=, dbias (OC) +=
static void mm_bwd(enum prec p, float *dinp, float *dweight, float *dbias, const float *dout,
                   const float *inp, const float *weight, size_t BT, size_t C, size_t OC)
{
    const float *mats[3] = {inp, weight, dout};
    const size_t sizes[3] = {BT * C, OC * C, BT * OC};
    if (dinp) run_plan(p, tk_plan_dinp(BT, C, OC), mats, sizes, dinp);
    if (dweight) run_plan(p, tk_plan_dweight(BT, C, OC), mats, sizes, dweight);
    if (dbias) tk_colsum(dbias, dout, BT, OC);
}

#define DEF(P, suffix)                                                                         \
    void tk_matmul_forward_##suffix(float *out, const float *inp, const float *w,              \
                                    const float *b, size_t BT, size_t C, size_t OC)            \
    {                                                                                          \
        mm_fwd(P, out, inp, w, b, BT, C, OC);                                                  \
    }                                                                                          \
    void tk_matmul_backward_##suffix(float *dinp, float *dw, float *db, const float *dout,     \
                                     const float *inp, const float *w, size_t BT, size_t C,    \
                                     size_t OC)                                                \
    {                                                                                          \
        mm_bwd(P, dinp, dw, db, dout, inp, w, BT, C, OC);                                      \
    }
DEF(P_FP32, fp32)
DEF(P_TF32, tf32)
DEF(P_BF16, bf16)
