/* Sparse attention patterns (src/neural/attn_pattern.h; contract in
 * src/neural/backend.h), the CUDA kernels.  The CPU reference is
 * src/neural/cpu_sparse_attn.c; tests/test_backend_ops.c compares them.
 *
 * Forward: one warp per query row (b, h, t); the lanes score the row's
 * offsets 32 at a time into the row of att (N entries), warp max and sum
 * normalise it, then each lane owns head dimensions d = lane + 32k and
 * gathers sum_m a_m v_{t-d_m}[d].
 *
 * Backward without atomics, in gather form (the pattern is translation
 * invariant, so the queries that see key j are j + d_m):
 *   per query row t: dP_m = dO_t . V_{t-d_m}, D = sum_m a_m dP_m,
 *     datt[t][m] = sc a_m (dP_m - D), dQ_t += sum_m datt[t][m] K_{t-d_m};
 *   per key row j: dK_j += sum_m datt[j+d_m][m] Q_{j+d_m},
 *     dV_j += sum_m a[j+d_m][m] dO_{j+d_m}.
 *
 * Step: one warp per (batch, head), the row's scores in shared memory. */
#include "cuda_ctx.cuh"
#include "kernel_math.h"

#define SP_ROWS 4 /* query rows (warps) per block */
#define SP_MAXD 8 /* head size <= 32 * SP_MAXD (tk_attn_shape_ok) */

#define SQKV(b, t, which) (qkv + ((size_t)(b) * T + (t)) * 3 * C + (which) * C + (size_t)h * hs)

/* Offsets d <= t of head h: a prefix of the ascending list. */
static __device__ __forceinline__ int n_visible(const tsf_nn_pattern *p, int h, int NH, int n,
                                                long long t)
{
    int lo = 0, hi = n; /* first m with offset > t */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (tsf_pat_offset(p, h, NH, mid) <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

__global__ void __launch_bounds__(32 * SP_ROWS)
    k_sparse_fwd(float *out, float *att, const float *qkv, int T, int C, int NH, int N,
                 tsf_nn_pattern p)
{
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x % 32;
    int t = blockIdx.x * SP_ROWS + threadIdx.x / 32, hs = C / NH;
    if (t >= T) return;
    int n = tsf_pat_count(&p, h, NH), nv = n_visible(&p, h, NH, n, t);
    float sc = 1.0f / sqrtf((float)hs), slope = tk_alibi_slope(h, NH);
    float *a = att + (((size_t)b * NH + h) * T + t) * N;
    const float *q = SQKV(b, t, 0);
    float mx = -INFINITY;
    for (int m = lane; m < N; m += 32) {
        float s = 0.0f;
        if (m < nv) {
            int d = tsf_pat_offset(&p, h, NH, m);
            s = tk_attn_score(tk_dot(q, SQKV(b, t - d, 1), hs), sc, slope, d);
            mx = fmaxf(mx, s);
        }
        a[m] = s;
    }
    mx = tk_warp_max(mx);
    float sum = 0.0f;
    for (int m = lane; m < nv; m += 32) {
        float e = expf(a[m] - mx);
        a[m] = e;
        sum += e;
    }
    float inv = 1.0f / tk_warp_sum(sum);
    for (int m = lane; m < nv; m += 32) a[m] *= inv;
    __syncwarp(); /* the row is read by every lane below */
    float acc[SP_MAXD];
#pragma unroll
    for (int k = 0; k < SP_MAXD; k++) acc[k] = 0.0f;
    for (int m = 0; m < nv; m++) {
        float am = a[m];
        const float *v = SQKV(b, t - tsf_pat_offset(&p, h, NH, m), 2);
#pragma unroll
        for (int k = 0; k < SP_MAXD; k++) {
            int d = lane + 32 * k;
            if (d < hs) acc[k] += am * v[d];
        }
    }
    float *o = out + ((size_t)b * T + t) * C + (size_t)h * hs;
#pragma unroll
    for (int k = 0; k < SP_MAXD; k++) {
        int d = lane + 32 * k;
        if (d < hs) o[d] = acc[k];
    }
}

#define SROW(arr, t) (arr + (((size_t)b * NH + h) * T + (t)) * N)
#define SDOUT(t) (dout + ((size_t)b * T + (t)) * C + (size_t)h * hs)

/* per query row: datt row and dQ */
__global__ void __launch_bounds__(32 * SP_ROWS)
    k_sparse_dq(float *dqkv, float *datt, const float *dout, const float *qkv, const float *att,
                int T, int C, int NH, int N, tsf_nn_pattern p)
{
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x % 32;
    int t = blockIdx.x * SP_ROWS + threadIdx.x / 32, hs = C / NH;
    if (t >= T) return;
    int n = tsf_pat_count(&p, h, NH), nv = n_visible(&p, h, NH, n, t);
    float sc = 1.0f / sqrtf((float)hs);
    const float *a = SROW(att, t);
    float *da = SROW(datt, t);
    float dot = 0.0f;
    for (int m = lane; m < N; m += 32) {
        float dp = 0.0f;
        if (m < nv) dp = tk_dot(SDOUT(t), SQKV(b, t - tsf_pat_offset(&p, h, NH, m), 2), hs);
        da[m] = dp;
        dot += a[m] * dp;
    }
    dot = tk_warp_sum(dot);
    for (int m = lane; m < nv; m += 32) da[m] = sc * tk_softmax_dscore(a[m], da[m], dot);
    __syncwarp();
    float acc[SP_MAXD];
#pragma unroll
    for (int k = 0; k < SP_MAXD; k++) acc[k] = 0.0f;
    for (int m = 0; m < nv; m++) {
        float c = da[m];
        const float *kj = SQKV(b, t - tsf_pat_offset(&p, h, NH, m), 1);
#pragma unroll
        for (int k = 0; k < SP_MAXD; k++) {
            int d = lane + 32 * k;
            if (d < hs) acc[k] += c * kj[d];
        }
    }
    float *dq = dqkv + ((size_t)b * T + t) * 3 * C + (size_t)h * hs;
#pragma unroll
    for (int k = 0; k < SP_MAXD; k++) {
        int d = lane + 32 * k;
        if (d < hs) dq[d] += acc[k];
    }
}

/* per key row j: dK_j and dV_j from the queries j + d_m */
__global__ void __launch_bounds__(32 * SP_ROWS)
    k_sparse_dkv(float *dqkv, const float *datt, const float *dout, const float *qkv,
                 const float *att, int T, int C, int NH, int N, tsf_nn_pattern p)
{
    int b = blockIdx.z, h = blockIdx.y, lane = threadIdx.x % 32;
    int j = blockIdx.x * SP_ROWS + threadIdx.x / 32, hs = C / NH;
    if (j >= T) return;
    int n = tsf_pat_count(&p, h, NH);
    float ak[SP_MAXD], av[SP_MAXD];
#pragma unroll
    for (int k = 0; k < SP_MAXD; k++) ak[k] = av[k] = 0.0f;
    for (int m = 0; m < n; m++) {
        int t = j + tsf_pat_offset(&p, h, NH, m);
        if (t >= T) break; /* ascending offsets */
        float ck = SROW(datt, t)[m], cv = SROW(att, t)[m];
        const float *qt = SQKV(b, t, 0), *dt = SDOUT(t);
#pragma unroll
        for (int k = 0; k < SP_MAXD; k++) {
            int d = lane + 32 * k;
            if (d < hs) {
                ak[k] += ck * qt[d];
                av[k] += cv * dt[d];
            }
        }
    }
    float *dk = dqkv + ((size_t)b * T + j) * 3 * C + C + (size_t)h * hs, *dv = dk + C;
#pragma unroll
    for (int k = 0; k < SP_MAXD; k++) {
        int d = lane + 32 * k;
        if (d < hs) {
            dk[d] += ak[k];
            dv[d] += av[k];
        }
    }
}

/* One query per (b, h) against rings of R positions; one warp. */
__global__ void k_sparse_step(float *out, const float *q, const float *kc, const float *vc, int C,
                              int NH, int R, long long pos, tsf_nn_pattern p)
{
    extern __shared__ float sp[];
    int b = blockIdx.y, h = blockIdx.x, hs = C / NH, lane = threadIdx.x;
    int n = tsf_pat_count(&p, h, NH), nv = n_visible(&p, h, NH, n, pos);
    float sc = 1.0f / sqrtf((float)hs), slope = tk_alibi_slope(h, NH);
    const float *qb = q + (size_t)b * C + (size_t)h * hs;
#define RING(c, d) (c + ((size_t)b * R + (size_t)((pos - (d)) % R)) * C + (size_t)h * hs)
    float mx = -INFINITY;
    for (int m = lane; m < nv; m += 32) {
        int d = tsf_pat_offset(&p, h, NH, m);
        sp[m] = tk_attn_score(tk_dot(qb, RING(kc, d), hs), sc, slope, d);
        mx = fmaxf(mx, sp[m]);
    }
    mx = tk_warp_max(mx);
    float sum = 0.0f;
    for (int m = lane; m < nv; m += 32) {
        sp[m] = expf(sp[m] - mx);
        sum += sp[m];
    }
    float inv = 1.0f / tk_warp_sum(sum);
    __syncwarp();
    for (int d0 = lane; d0 < hs; d0 += 32) {
        float acc = 0.0f;
        for (int m = 0; m < nv; m++) acc += sp[m] * RING(vc, tsf_pat_offset(&p, h, NH, m))[d0];
        out[(size_t)b * C + (size_t)h * hs + d0] = acc * inv;
    }
#undef RING
}

void tk_sparse_attention_forward(float *out, float *att, const float *qkv, size_t B, size_t T,
                                 size_t C, size_t NH, tsf_nn_pattern p)
{
    if (!B || !T || !tk_attn_shape_ok(C, NH, "sparse_attention_forward")) return;
    int N = tsf_pat_width(&p, (int)NH);
    dim3 grid((unsigned)((T + SP_ROWS - 1) / SP_ROWS), (unsigned)NH, (unsigned)B);
    k_sparse_fwd<<<grid, 32 * SP_ROWS, 0, cudaStreamPerThread>>>(out, att, qkv, (int)T, (int)C,
                                                                 (int)NH, N, p);
    TK_LAUNCHED("sparse_attention_forward");
}

void tk_sparse_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                                  const float *att, size_t B, size_t T, size_t C, size_t NH,
                                  tsf_nn_pattern p)
{
    if (!B || !T || !tk_attn_shape_ok(C, NH, "sparse_attention_backward")) return;
    int N = tsf_pat_width(&p, (int)NH), t = (int)T, c = (int)C, nh = (int)NH;
    dim3 grid((unsigned)((T + SP_ROWS - 1) / SP_ROWS), (unsigned)NH, (unsigned)B);
    k_sparse_dq<<<grid, 32 * SP_ROWS, 0, cudaStreamPerThread>>>(dqkv, datt, dout, qkv, att, t, c,
                                                                nh, N, p);
    if (!TK_LAUNCHED("sparse_attention_backward (dq)")) return;
    k_sparse_dkv<<<grid, 32 * SP_ROWS, 0, cudaStreamPerThread>>>(dqkv, datt, dout, qkv, att, t,
                                                                 c, nh, N, p);
    TK_LAUNCHED("sparse_attention_backward (dk, dv)");
}

void tk_sparse_attention_step(float *out, const float *q, const float *kc, const float *vc,
                              size_t B, size_t C, size_t NH, size_t pos, tsf_nn_pattern p,
                              float *scratch)
{
    (void)scratch; /* scores live in shared memory, one row per block */
    if (!B || !tk_attn_shape_ok(C, NH, "sparse_attention_step")) return;
    size_t bytes = (size_t)tsf_pat_width(&p, (int)NH) * sizeof(float); /* <= 16 KB */
    dim3 grid((unsigned)NH, (unsigned)B);
    k_sparse_step<<<grid, 32, bytes, cudaStreamPerThread>>>(out, q, kc, vc, (int)C, (int)NH,
                                                            tsf_pat_span(&p, (int)NH),
                                                            (long long)pos, p);
    TK_LAUNCHED("sparse_attention_step");
}
