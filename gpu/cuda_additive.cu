/* Additive attention (Bahdanau et al. 2015; contract in
 * src/neural/backend.h, maths in src/neural/cpu_additive.c), the CUDA
 * kernels.
 *
 * Forward: one warp per query row (b, h, t), AD_ROWS rows per block; a
 * lane scores one key of the window at a time (the hs-long tanh sum runs
 * in the lane), the scores go to the row of att, a warp max / sum turns
 * them into probabilities, and the lanes split the head's features for
 * out_t = sum_j p_tj v_j.
 *
 * Backward: one warp per query row again.  A first sweep gives
 * D_t = sum_j p_tj (dout_t . v_j); a second, lane per key, recomputes
 * dp_tj and e_tj = tanh(q_t + k_j) and adds its terms: dq_t through
 * shared memory (the row's own), dk_j, dv_j and dva with atomics (several
 * rows share a key), so the sums are reordered between runs (fp32,
 * <= W terms each).
 *
 * Step: one block per (b, h), 128 threads over the cached window, as
 * k_attn_step (cuda_attention.cu). */
#include "cuda_ctx.cuh"
#include "kernel_math.h"

#define AD_ROWS 4 /* query rows (warps) per block */

struct ad_geom {
    int B, T, NH, hs, W, alibi;
    long long sb, st, ob, ot;
};

static ad_geom to_dev(const tsf_nn_add_geom *g)
{
    ad_geom d;
    d.B = (int)g->B;
    d.T = (int)g->T;
    d.NH = (int)g->NH;
    d.hs = (int)g->hs;
    d.W = (int)g->W;
    d.alibi = g->alibi;
    d.sb = (long long)g->sb;
    d.st = (long long)g->st;
    d.ob = (long long)g->ob;
    d.ot = (long long)g->ot;
    return d;
}

#define ROW(p, b, t) ((p) + (b) * g.sb + (long long)(t) * g.st + (long long)h * g.hs)
#define OROW(p, b, t) ((p) + (b) * g.ob + (long long)(t) * g.ot + (long long)h * g.hs)
#define AROW(t) (att + (((long long)b * g.NH + h) * g.T + (t)) * g.W)

static __device__ __forceinline__ float ad_score(const float *q, const float *k, const float *va,
                                                 int n)
{
    float s = 0.0f;
    for (int d = 0; d < n; d++) s += va[d] * tanhf(q[d] + k[d]);
    return s;
}

__global__ void __launch_bounds__(32 * AD_ROWS)
    k_add_fwd(float *out, float *att, const float *q, const float *k, const float *v,
              const float *va, ad_geom g)
{
    extern __shared__ float sm[]; /* q rows (AD_ROWS, hs), then va (hs) */
    int b = blockIdx.z, h = blockIdx.y, w = threadIdx.x / 32, lane = threadIdx.x % 32;
    int t = blockIdx.x * AD_ROWS + w;
    float *qs = sm + w * g.hs, *vs = sm + AD_ROWS * g.hs;
    for (int d = threadIdx.x; d < g.hs; d += blockDim.x) vs[d] = va[h * g.hs + d];
    if (t < g.T)
        for (int d = lane; d < g.hs; d += 32) qs[d] = ROW(q, b, t)[d];
    __syncthreads();
    if (t >= g.T) return;
    int lo = t + 1 > g.W ? t + 1 - g.W : 0, n = t + 1 - lo;
    float m = g.alibi ? tk_alibi_slope(h, g.NH) : 0.0f, *a = AROW(t), *p = a + (g.W - n);
    float mx = -INFINITY;
    for (int i = lane; i < g.W - n; i += 32) a[i] = 0.0f;
    for (int jj = lane; jj < n; jj += 32) {
        int j = lo + jj;
        float s = ad_score(qs, ROW(k, b, j), vs, g.hs) - m * (float)(t - j);
        p[jj] = s;
        mx = fmaxf(mx, s);
    }
    mx = tk_warp_max(mx);
    float sum = 0.0f;
    for (int jj = lane; jj < n; jj += 32) {
        float e = expf(p[jj] - mx);
        p[jj] = e;
        sum += e;
    }
    float inv = 1.0f / tk_warp_sum(sum);
    __syncwarp();
    for (int jj = lane; jj < n; jj += 32) p[jj] *= inv;
    __syncwarp();
    for (int d = lane; d < g.hs; d += 32) {
        float acc = 0.0f;
        for (int jj = 0; jj < n; jj++) acc += p[jj] * ROW(v, b, lo + jj)[d];
        OROW(out, b, t)[d] = acc;
    }
}

__global__ void __launch_bounds__(32 * AD_ROWS)
    k_add_bwd(float *dq, float *dk, float *dv, float *dva, const float *dout, const float *q,
              const float *k, const float *v, const float *va, const float *att, ad_geom g)
{
    extern __shared__ float sm[]; /* dq rows (AD_ROWS, hs), dva partials (hs), va (hs) */
    int b = blockIdx.z, h = blockIdx.y, w = threadIdx.x / 32, lane = threadIdx.x % 32;
    int t = blockIdx.x * AD_ROWS + w;
    float *dqs = sm + w * g.hs, *dvas = sm + AD_ROWS * g.hs, *vs = dvas + g.hs;
    for (int d = threadIdx.x; d < g.hs; d += blockDim.x) {
        dvas[d] = 0.0f;
        vs[d] = va[h * g.hs + d];
    }
    for (int d = lane; d < g.hs; d += 32) dqs[d] = 0.0f;
    __syncthreads();
    if (t < g.T) {
        int lo = t + 1 > g.W ? t + 1 - g.W : 0, n = t + 1 - lo;
        const float *p = AROW(t) + (g.W - n), *go = OROW(dout, b, t), *qt = ROW(q, b, t);
        float D = 0.0f;
        for (int jj = lane; jj < n; jj += 32) D += p[jj] * tk_dot(go, ROW(v, b, lo + jj), g.hs);
        D = tk_warp_sum(D);
        for (int jj = lane; jj < n; jj += 32) {
            int j = lo + jj;
            float pj = p[jj], ds = tk_softmax_dscore(pj, tk_dot(go, ROW(v, b, j), g.hs), D);
            const float *kj = ROW(k, b, j);
            float *dkj = ROW(dk, b, j), *dvj = ROW(dv, b, j);
            for (int d = 0; d < g.hs; d++) {
                float e = tanhf(qt[d] + kj[d]), du = ds * vs[d] * (1.0f - e * e);
                atomicAdd(&dqs[d], du);
                atomicAdd(&dvas[d], ds * e);
                atomicAdd(&dkj[d], du);
                atomicAdd(&dvj[d], pj * go[d]);
            }
        }
    }
    __syncthreads();
    if (t < g.T)
        for (int d = lane; d < g.hs; d += 32) ROW(dq, b, t)[d] += dqs[d];
    for (int d = threadIdx.x; d < g.hs; d += blockDim.x) atomicAdd(&dva[h * g.hs + d], dvas[d]);
}

__global__ void k_add_step(float *out, const float *q, const float *kc, const float *vc,
                           const float *va, int NH, int hs, int W, long long pos, int alibi)
{
    extern __shared__ float sm[];
    int b = blockIdx.y, h = blockIdx.x, tid = threadIdx.x, C = NH * hs;
    float *qs = sm, *vs = qs + hs, *p = vs + hs, *red = p + W;
    long long lo = pos + 1 > W ? pos + 1 - W : 0;
    int n = (int)(pos - lo + 1);
    float m = alibi ? tk_alibi_slope(h, NH) : 0.0f;
    for (int d = tid; d < hs; d += blockDim.x) {
        qs[d] = q[(size_t)b * C + (size_t)h * hs + d];
        vs[d] = va[(size_t)h * hs + d];
    }
    __syncthreads();
    float mx = -INFINITY;
    for (int jj = tid; jj < n; jj += blockDim.x) {
        long long j = lo + jj;
        const float *kj = kc + ((size_t)b * W + (size_t)(j % W)) * C + (size_t)h * hs;
        p[jj] = ad_score(qs, kj, vs, hs) - m * (float)(pos - j);
        mx = fmaxf(mx, p[jj]);
    }
    tk_ring_attend(out, p, mx, n, vc, b, W, lo, C, h, hs, red);
}

void tk_additive_forward(float *out, float *att, const float *q, const float *k, const float *v,
                         const float *va, const tsf_nn_add_geom *g)
{
    if (!g->B || !g->T || !g->NH || !g->hs) return;
    size_t bytes = (AD_ROWS + 1) * g->hs * sizeof(float);
    if (!tk_smem_ok((const void *)k_add_fwd, bytes, "additive_forward")) return;
    dim3 grid((unsigned)((g->T + AD_ROWS - 1) / AD_ROWS), (unsigned)g->NH, (unsigned)g->B);
    k_add_fwd<<<grid, 32 * AD_ROWS, bytes, cudaStreamPerThread>>>(out, att, q, k, v, va,
                                                                  to_dev(g));
    TK_LAUNCHED("additive_forward");
}

void tk_additive_backward(float *dq, float *dk, float *dv, float *dva, const float *dout,
                          const float *q, const float *k, const float *v, const float *va,
                          const float *att, const tsf_nn_add_geom *g, float *scratch)
{
    (void)scratch; /* the row's terms live in shared memory */
    if (!g->B || !g->T || !g->NH || !g->hs) return;
    size_t bytes = (AD_ROWS + 2) * g->hs * sizeof(float);
    if (!tk_smem_ok((const void *)k_add_bwd, bytes, "additive_backward")) return;
    dim3 grid((unsigned)((g->T + AD_ROWS - 1) / AD_ROWS), (unsigned)g->NH, (unsigned)g->B);
    k_add_bwd<<<grid, 32 * AD_ROWS, bytes, cudaStreamPerThread>>>(dq, dk, dv, dva, dout, q, k, v,
                                                                  va, att, to_dev(g));
    TK_LAUNCHED("additive_backward");
}

void tk_additive_step(float *out, const float *q, const float *kc, const float *vc,
                      const float *va, size_t B, size_t NH, size_t hs, size_t W, size_t pos,
                      int alibi, float *scratch)
{
    (void)scratch; /* scores live in shared memory, one window per block */
    if (!B || !NH || !hs) return;
    size_t bytes = (2 * hs + W + 32) * sizeof(float);
    if (!tk_smem_ok((const void *)k_add_step, bytes, "additive_step")) return;
    dim3 grid((unsigned)NH, (unsigned)B);
    k_add_step<<<grid, 128, bytes, cudaStreamPerThread>>>(out, q, kc, vc, va, (int)NH, (int)hs,
                                                          (int)W, (long long)pos, alibi);
    TK_LAUNCHED("additive_step");
}
