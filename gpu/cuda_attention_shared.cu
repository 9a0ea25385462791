/* attention_step_shared (contract in src/neural/backend.h), the CUDA
 * kernel: the KV-cache step of B sample paths that share the keys and
 * values of one history (the prefix, stored once) and keep their own
 * later positions in rings (R,B,C).  One block per (head, path), as
 * k_attn_step (cuda_attention.cu): a thread scores keys of the window in
 * position order, the prefix's from the shared rows (read by every path's
 * block, so they stay in L2) and the path's own from its ring; one softmax
 * over both, then each thread averages one feature of the value rows.
 * The per-element arithmetic is kernel_math.h's, as in the CPU twin
 * (src/neural/cpu_attention_shared.c). */
#include "cuda_ctx.cuh"
#include "kernel_math.h"

/* the key (which 0) or value (1) row of window entry jj of path b, head h:
 * prefix rows kp/vp for jj < np (positions a0 + jj), then the path's own
 * ring rows (positions s0 + jj - np, row ((a - e) % R) B + b) */
#define SH_ROW(which, jj)                                                                        \
    ((jj) < np ? ((which) ? vp : kp) + ((size_t)(a0 - p0) + (size_t)(jj)) * C + (size_t)h * hs \
               : ((which) ? vs : ks) +                                                           \
                     ((size_t)((s0 + (jj) - np - e) % R) * B + (size_t)b) * C + (size_t)h * hs)

__global__ void k_attn_step_shared(float *out, const float *q, const float *kp, const float *vp,
                                   long long p0, long long e, const float *ks, const float *vs,
                                   int R, int B, int C, int NH, long long a0, int np,
                                   long long s0, int n, long long pos)
{
    extern __shared__ float sm[];
    int b = blockIdx.y, h = blockIdx.x, hs = C / NH, tid = threadIdx.x;
    float *qs = sm, *p = qs + hs, *red = p + n;
    float sc = 1.0f / sqrtf((float)hs), slope = tk_alibi_slope(h, NH);
    for (int d = tid; d < hs; d += blockDim.x) qs[d] = q[(size_t)b * C + (size_t)h * hs + d];
    __syncthreads();
    float mx = -INFINITY;
    for (int jj = tid; jj < n; jj += blockDim.x) {
        long long a = jj < np ? a0 + jj : s0 + (jj - np);
        p[jj] = tk_attn_score(tk_dot(qs, SH_ROW(0, jj), hs), sc, slope, (int)(pos - a));
        mx = fmaxf(mx, p[jj]);
    }
    mx = tk_block_max(mx, red);
    float s = 0.0f;
    for (int jj = tid; jj < n; jj += blockDim.x) {
        p[jj] = expf(p[jj] - mx);
        s += p[jj];
    }
    s = tk_block_sum(s, red); /* its barrier also publishes p */
    float inv = 1.0f / s;
    for (int d = tid; d < hs; d += blockDim.x) {
        float acc = 0.0f;
        for (int jj = 0; jj < n; jj++) acc += p[jj] * SH_ROW(1, jj)[d];
        out[(size_t)b * C + (size_t)h * hs + d] = acc * inv;
    }
}

void tk_attention_step_shared(float *out, const float *q, const float *kp, const float *vp,
                              size_t P, size_t p0, const float *ks, const float *vs, size_t R,
                              size_t B, size_t C, size_t NH, size_t W, size_t pos, float *scratch)
{
    (void)scratch; /* scores live in shared memory, one window per block */
    if (!B || !tk_attn_shape_ok(C, NH, "attention_step_shared")) return;
    size_t e = p0 + P, lo = pos + 1 > W ? pos + 1 - W : 0;
    size_t a0 = lo > p0 ? lo : p0, np = e > a0 ? e - a0 : 0;
    size_t s0 = lo > e ? lo : e, n = np + pos + 1 - s0;
    size_t bytes = (C / NH + n + 32) * sizeof(float);
    if (!tk_smem_ok((const void *)k_attn_step_shared, bytes, "attention_step_shared")) return;
    dim3 grid((unsigned)NH, (unsigned)B);
    k_attn_step_shared<<<grid, 128, bytes, cudaStreamPerThread>>>(
        out, q, kp, vp, (long long)p0, (long long)e, ks, vs, (int)R, (int)B, (int)C, (int)NH,
        (long long)a0, (int)np, (long long)s0, (int)n, (long long)pos);
    TK_LAUNCHED("attention_step_shared");
}
