/* Causal ALiBi attention over a sliding window (contract in
 * src/neural/backend.h), the CUDA kernels.
 *
 * Forward: flash-style (Dao et al. 2022): a block takes AT_ROWS query rows
 * of one (batch, head), one warp per row; keys and values stream through
 * shared memory in tiles of 32, a lane scores one key of the tile, and the
 * online softmax (tk_online_rescale) keeps a running max and sum so no
 * score matrix is materialised.  The (B,NH,T,T) probabilities the backward
 * pass needs are written by a second sweep over the row only when att is
 * not NULL.
 *
 * Backward: three deterministic passes without atomics (FlashAttention-2's
 * D_i = sum_j a_ij da_ij): per query row the dot D_i (kept in datt's
 * first column), then dq per query row and dk, dv per key row, each a warp
 * scoring its 32 partners a tile at a time and broadcasting the
 * coefficients with shuffles.
 *
 * Step: one block per (batch, head) scores the cached window in shared
 * memory.  The per-element arithmetic (scores, online softmax, softmax
 * backward) is kernel_math.h's, tested on the host against
 * src/neural/cpu_attention.c. */
#include "cuda_ctx.cuh"
#include "kernel_math.h"

#define AT_ROWS 4 /* query rows (warps) per block */
#define AT_MAXD 8 /* head size <= 32 * AT_MAXD */

/* qkv (B,T,3C): q of (b,t,h) at (b*T+t)*3C + h*hs, k at +C, v at +2C */
#define QKV(b, t, which) (qkv + ((size_t)(b) * T + (t)) * 3 * C + (which) * C + (size_t)h * hs)

__global__ void __launch_bounds__(32 * AT_ROWS)
    k_attn_fwd(float *out, float *att, const float *qkv, int T, int C, int NH, int W)
{
    extern __shared__ float sm[];
    int hs = C / NH, ld = hs + 1; /* padded rows: lane-per-key reads are conflict-free */
    float *Ks = sm, *Vs = Ks + 32 * ld, *Qs = Vs + 32 * ld;
    int b = blockIdx.z, h = blockIdx.y, w = threadIdx.x / 32, lane = threadIdx.x % 32;
    int t0 = blockIdx.x * AT_ROWS, t = t0 + w;
    int active = t < T;
    int lo = t + 1 > W ? t + 1 - W : 0;
    int jlo = t0 + 1 > W ? t0 + 1 - W : 0, jhi = min(T - 1, t0 + AT_ROWS - 1);
    float sc = 1.0f / sqrtf((float)hs), slope = tk_alibi_slope(h, NH);
    float *q = Qs + w * hs;
    if (active)
        for (int d = lane; d < hs; d += 32) q[d] = QKV(b, t, 0)[d];
    float m = -INFINITY, l = 0.0f, acc[AT_MAXD];
#pragma unroll
    for (int k = 0; k < AT_MAXD; k++) acc[k] = 0.0f;
    for (int j0 = jlo; j0 <= jhi; j0 += 32) {
        __syncthreads(); /* the previous tile is consumed (and q is stored) */
        for (int i = threadIdx.x; i < 32 * hs; i += blockDim.x) {
            int jj = i / hs, d = i % hs, j = j0 + jj;
            Ks[jj * ld + d] = j <= jhi ? QKV(b, j, 1)[d] : 0.0f;
            Vs[jj * ld + d] = j <= jhi ? QKV(b, j, 2)[d] : 0.0f;
        }
        __syncthreads();
        if (!active) continue;
        int j = j0 + lane, valid = j >= lo && j <= t;
        float s = -INFINITY;
        if (valid) {
            float dot = 0.0f;
            for (int d = 0; d < hs; d++) dot += q[d] * Ks[lane * ld + d];
            s = tk_attn_score(dot, sc, slope, t - j);
        }
        float tmax = tk_warp_max(s);
        if (tmax == -INFINITY) continue; /* warp-uniform: no key of this tile is visible */
        float f = tk_online_rescale(&m, tmax);
        float p = valid ? expf(s - m) : 0.0f;
        l = l * f + tk_warp_sum(p);
#pragma unroll
        for (int k = 0; k < AT_MAXD; k++) acc[k] *= f;
        for (int jj = 0; jj < 32; jj++) {
            float pj = __shfl_sync(0xffffffffu, p, jj);
            if (pj == 0.0f) continue; /* uniform across the warp */
#pragma unroll
            for (int k = 0; k < AT_MAXD; k++) {
                int d = lane + 32 * k;
                if (d < hs) acc[k] += pj * Vs[jj * ld + d];
            }
        }
    }
    if (!active) return;
    float inv = 1.0f / l;
    float *o = out + ((size_t)b * T + t) * C + (size_t)h * hs;
#pragma unroll
    for (int k = 0; k < AT_MAXD; k++) {
        int d = lane + 32 * k;
        if (d < hs) o[d] = acc[k] * inv;
    }
    if (!att) return;
    float *a = att + (((size_t)b * NH + h) * T + t) * T;
    for (int j = lane; j < T; j += 32) {
        float v = 0.0f;
        if (j >= lo && j <= t) {
            const float *kj = QKV(b, j, 1);
            float dot = 0.0f;
            for (int d = 0; d < hs; d++) dot += q[d] * kj[d];
            v = expf(tk_attn_score(dot, sc, slope, t - j) - m) * inv;
        }
        a[j] = v;
    }
}

/* Row index helpers for the backward passes: warp r of the grid. */
#define ATT(i, j) att[(((size_t)b * NH + h) * T + (i)) * T + (j)]
#define DROW(i) (dout + ((size_t)b * T + (i)) * C + (size_t)h * hs)
#define DOT_I(i) datt[(((size_t)b * NH + h) * T + (i)) * T]

/* D_i = sum_j a_ij (dout_i . v_j) for every query row i -> datt[i][0] */
__global__ void k_attn_dot(float *datt, const float *dout, const float *qkv, const float *att,
                           int T, int C, int NH, int W)
{
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x % 32;
    int i = blockIdx.x * AT_ROWS + threadIdx.x / 32, hs = C / NH;
    if (i >= T) return;
    int lo = i + 1 > W ? i + 1 - W : 0;
    float s = 0.0f;
    for (int j = lo + lane; j <= i; j += 32) s += ATT(i, j) * tk_dot(DROW(i), QKV(b, j, 2), hs);
    s = tk_warp_sum(s);
    __syncwarp();
    if (lane == 0) DOT_I(i) = s;
}

/* dq_i += sc * sum_j a_ij (da_ij - D_i) k_j, one warp per query row i */
__global__ void k_attn_dq(float *dqkv, const float *datt, const float *dout, const float *qkv,
                          const float *att, int T, int C, int NH, int W)
{
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x % 32;
    int i = blockIdx.x * AT_ROWS + threadIdx.x / 32, hs = C / NH;
    if (i >= T) return;
    int lo = i + 1 > W ? i + 1 - W : 0;
    float sc = 1.0f / sqrtf((float)hs), Di = DOT_I(i), acc[AT_MAXD];
#pragma unroll
    for (int k = 0; k < AT_MAXD; k++) acc[k] = 0.0f;
    for (int j0 = lo; j0 <= i; j0 += 32) {
        int j = j0 + lane;
        float cf = 0.0f;
        if (j <= i) cf = sc * tk_softmax_dscore(ATT(i, j), tk_dot(DROW(i), QKV(b, j, 2), hs), Di);
        for (int jj = 0; jj < 32 && j0 + jj <= i; jj++) {
            float c = __shfl_sync(0xffffffffu, cf, jj);
            const float *kj = QKV(b, j0 + jj, 1);
#pragma unroll
            for (int k = 0; k < AT_MAXD; k++) {
                int d = lane + 32 * k;
                if (d < hs) acc[k] += c * kj[d];
            }
        }
    }
    float *dq = dqkv + ((size_t)b * T + i) * 3 * C + (size_t)h * hs;
#pragma unroll
    for (int k = 0; k < AT_MAXD; k++) {
        int d = lane + 32 * k;
        if (d < hs) dq[d] += acc[k];
    }
}

/* dk_j += sc * sum_i a_ij (da_ij - D_i) q_i, dv_j += sum_i a_ij dout_i,
 * one warp per key row j over the queries i in [j, j + W - 1] */
__global__ void k_attn_dkv(float *dqkv, const float *datt, const float *dout, const float *qkv,
                           const float *att, int T, int C, int NH, int W)
{
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x % 32;
    int j = blockIdx.x * AT_ROWS + threadIdx.x / 32, hs = C / NH;
    if (j >= T) return;
    int hi = min(T - 1, j + W - 1);
    float sc = 1.0f / sqrtf((float)hs), ak[AT_MAXD], av[AT_MAXD];
#pragma unroll
    for (int k = 0; k < AT_MAXD; k++) ak[k] = av[k] = 0.0f;
    const float *vj = QKV(b, j, 2);
    for (int i0 = j; i0 <= hi; i0 += 32) {
        int i = i0 + lane;
        float ck = 0.0f, cv = 0.0f;
        if (i <= hi) {
            cv = ATT(i, j);
            ck = sc * tk_softmax_dscore(cv, tk_dot(DROW(i), vj, hs), DOT_I(i));
        }
        for (int ii = 0; ii < 32 && i0 + ii <= hi; ii++) {
            float a = __shfl_sync(0xffffffffu, ck, ii), v = __shfl_sync(0xffffffffu, cv, ii);
            const float *qi = QKV(b, i0 + ii, 0), *di = DROW(i0 + ii);
#pragma unroll
            for (int k = 0; k < AT_MAXD; k++) {
                int d = lane + 32 * k;
                if (d < hs) {
                    ak[k] += a * qi[d];
                    av[k] += v * di[d];
                }
            }
        }
    }
    float *dk = dqkv + ((size_t)b * T + j) * 3 * C + C + (size_t)h * hs, *dv = dk + C;
#pragma unroll
    for (int k = 0; k < AT_MAXD; k++) {
        int d = lane + 32 * k;
        if (d < hs) {
            dk[d] += ak[k];
            dv[d] += av[k];
        }
    }
}

/* One query per (b, h) against the ring caches; block of 128 threads. */
__global__ void k_attn_step(float *out, const float *q, const float *kc, const float *vc, int C,
                            int NH, int W, long long pos)
{
    extern __shared__ float sm[];
    int b = blockIdx.y, h = blockIdx.x, hs = C / NH, tid = threadIdx.x;
    float *qs = sm, *p = qs + hs, *red = p + W;
    long long lo = pos + 1 > W ? pos + 1 - W : 0;
    int n = (int)(pos - lo + 1);
    float sc = 1.0f / sqrtf((float)hs), slope = tk_alibi_slope(h, NH);
    for (int d = tid; d < hs; d += blockDim.x) qs[d] = q[(size_t)b * C + (size_t)h * hs + d];
    __syncthreads();
    float mx = -INFINITY;
    for (int jj = tid; jj < n; jj += blockDim.x) {
        long long j = lo + jj;
        const float *k = kc + ((size_t)b * W + (size_t)(j % W)) * C + (size_t)h * hs;
        p[jj] = tk_attn_score(tk_dot(qs, k, hs), sc, slope, (int)(pos - j));
        mx = fmaxf(mx, p[jj]);
    }
    tk_ring_attend(out, p, mx, n, vc, b, W, lo, C, h, hs, red);
}

int tk_attn_shape_ok(size_t C, size_t NH, const char *what)
{
    if (NH && C % NH == 0 && C / NH <= 32 * AT_MAXD && C <= 1u << 20) return 1;
    tk_fail("%s: head size %zu unsupported by the CUDA kernels (at most %d)", what,
            NH ? C / NH : 0, 32 * AT_MAXD);
    return 0;
}

void tk_attention_forward(float *out, float *att, const float *qkv, size_t B, size_t T, size_t C,
                          size_t NH, size_t W)
{
    if (!B || !T || !tk_attn_shape_ok(C, NH, "attention_forward")) return;
    size_t hs = C / NH, bytes = (2 * 32 * (hs + 1) + AT_ROWS * hs) * sizeof(float);
    if (!tk_smem_ok((const void *)k_attn_fwd, bytes, "attention_forward")) return;
    dim3 grid((unsigned)((T + AT_ROWS - 1) / AT_ROWS), (unsigned)NH, (unsigned)B);
    k_attn_fwd<<<grid, 32 * AT_ROWS, bytes, cudaStreamPerThread>>>(out, att, qkv, (int)T, (int)C,
                                                                   (int)NH, (int)W);
    TK_LAUNCHED("attention_forward");
}

void tk_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                           const float *att, size_t B, size_t T, size_t C, size_t NH, size_t W)
{
    if (!B || !T || !tk_attn_shape_ok(C, NH, "attention_backward")) return;
    dim3 grid((unsigned)((T + AT_ROWS - 1) / AT_ROWS), (unsigned)NH, (unsigned)B);
    int t = (int)T, c = (int)C, nh = (int)NH, w = (int)W;
    k_attn_dot<<<grid, 32 * AT_ROWS, 0, cudaStreamPerThread>>>(datt, dout, qkv, att, t, c, nh, w);
    if (!TK_LAUNCHED("attention_backward (D)")) return;
    k_attn_dq<<<grid, 32 * AT_ROWS, 0, cudaStreamPerThread>>>(dqkv, datt, dout, qkv, att, t, c,
                                                              nh, w);
    if (!TK_LAUNCHED("attention_backward (dq)")) return;
    k_attn_dkv<<<grid, 32 * AT_ROWS, 0, cudaStreamPerThread>>>(dqkv, datt, dout, qkv, att, t, c,
                                                               nh, w);
    TK_LAUNCHED("attention_backward (dk, dv)");
}

void tk_attention_step(float *out, const float *q, const float *kc, const float *vc, size_t B,
                       size_t C, size_t NH, size_t W, size_t pos, float *scratch)
{
    (void)scratch; /* scores live in shared memory, one window per block */
    if (!B || !tk_attn_shape_ok(C, NH, "attention_step")) return;
    size_t bytes = (C / NH + W + 32) * sizeof(float);
    if (bytes > 227 * 1024) {
        tk_fail("attention_step: window %zu too long for one block's shared memory", W);
        return;
    }
    if (!tk_smem_ok((const void *)k_attn_step, bytes, "attention_step")) return;
    dim3 grid((unsigned)NH, (unsigned)B);
    k_attn_step<<<grid, 128, bytes, cudaStreamPerThread>>>(out, q, kc, vc, (int)C, (int)NH,
                                                           (int)W, (long long)pos);
    TK_LAUNCHED("attention_step");
}
