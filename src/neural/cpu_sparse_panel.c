/* The sparse attention patterns' training kernels (the CPU tables'
 * sparse_attention_forward and _backward; the math of cpu_sparse_attn.c,
 * whose per-query kernels remain the one-query step's and the fallback
 * here).  Per query the pattern has few keys (logsparse at W = 1024: 15)
 * and a head few dimensions (d=64, 4 heads: 16), so the per-query form
 * spends its time in 16-float dot products and their horizontal sums.
 * Here each (batch, head) has its queries, keys and values transposed
 * into (hs, T) panels, Q_i(t) = q_t[i] and so on, and every product over
 * an offset d of the pattern becomes an elementwise product of a panel
 * row with another row shifted by d, along the positions t:
 *
 *   S_m(t) = sc sum_i Q_i(t) K_i(t - d_m) - slope d_m        (t >= d_m)
 *   P(t) = softmax over the m with d_m <= t
 *   O_i(t) = sum_m P_m(t) V_i(t - d_m)
 *
 * and backward (softmax backward as cpu_attention.c)
 *
 *   dP_m(t) = sum_i dO_i(t) V_i(t - d_m),   dV_i(t - d_m) += P_m(t) dO_i(t)
 *   dS_m(t) = sc P_m(t) (dP_m(t) - sum_m' P_m'(t) dP_m'(t))
 *   dQ_i(t) += dS_m(t) K_i(t - d_m),        dK_i(t - d_m) += dS_m(t) Q_i(t).
 *
 * Every inner loop runs over t with unit stride and no reduction, and
 * within one offset t -> t - d is one-to-one, so the scatter of dK and dV
 * has no conflicts.  Each entry sums its terms in a fixed order (i, then
 * m ascending), whatever the vector width: the AVX2 clone and the
 * portable code give the same bits, and so do repeated runs.  The
 * probabilities go out (and come back) as the op's (B,NH,T,N) rows.
 * Scratch: one (batch, head)'s panels, (4 hs + N + 2) T floats forward,
 * (7 hs + N + 1) T backward, allocated per call; without it (out of
 * memory) the per-query kernels run, which allocate nothing. */
#include <stdlib.h>
#include <string.h>
#include "cpu_ops.h"

#define MAXN 4096 /* the largest window (transformer context) */

/* y (n) += a (n) * b (n) */
static inline void vfma(float *restrict y, const float *restrict a, const float *restrict b,
                        size_t n)
{
#pragma omp simd
    for (size_t j = 0; j < n; j++) y[j] += a[j] * b[j];
}

/* y (n) = a (n) * b (n) */
static inline void vmul(float *restrict y, const float *restrict a, const float *restrict b,
                        size_t n)
{
#pragma omp simd
    for (size_t j = 0; j < n; j++) y[j] = a[j] * b[j];
}

/* T rows of hs floats, rows rs apart -> the (hs, T) panel p */
static void panel_in(float *restrict p, const float *restrict src, size_t rs, size_t T, size_t hs)
{
    for (size_t t = 0; t < T; t++)
        for (size_t i = 0; i < hs; i++) p[i * T + t] = src[t * rs + i];
}

/* the (hs, T) panel p -> T rows of hs floats, rows rs apart (= or +=) */
static void panel_out(float *restrict dst, const float *restrict p, size_t rs, size_t T,
                      size_t hs, int add)
{
    for (size_t t = 0; t < T; t++) {
        float *r = dst + t * rs;
        if (add)
            for (size_t i = 0; i < hs; i++) r[i] += p[i * T + t];
        else
            for (size_t i = 0; i < hs; i++) r[i] = p[i * T + t];
    }
}

/* Offsets of head h below T (an ascending list, d = 0 first); their number. */
static size_t offsets(const tsf_nn_pattern *p, size_t h, size_t NH, size_t T, int *offs)
{
    int n = tsf_pat_count(p, (int)h, (int)NH), m = 0;
    for (; m < n && m < MAXN; m++) {
        offs[m] = tsf_pat_offset(p, (int)h, (int)NH, m);
        if ((size_t)offs[m] >= T) break;
    }
    return (size_t)m;
}

/* S (n,T) := the scores dO.V (dp) or Q.K of the n offsets, row m from t = d_m */
TSF_SIMD_CLONES
static void products(float *S, const float *a, const float *b, const int *offs, size_t n,
                     size_t T, size_t hs)
{
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        float *r = S + m * T + d;
        vmul(r, a + d, b, T - d);
        for (size_t i = 1; i < hs; i++) vfma(r, a + i * T + d, b + i * T, T - d);
    }
}

/* One (batch, head): q, k, v (hs,T) panels -> o (hs,T), S (n,T) the
 * probabilities (row m from t = d_m); mx, sum (T) scratch. */
TSF_SIMD_CLONES
static void head_forward(float *restrict o, float *restrict S, float *restrict mx,
                         float *restrict sum, const float *q, const float *k, const float *v,
                         const int *offs, size_t n, size_t T, size_t hs, float sc, float slope)
{
    products(S, q, k, offs, n, T, hs);
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        float *r = S + m * T, bias = slope * (float)d;
#pragma omp simd
        for (size_t t = d; t < T; t++) r[t] = r[t] * sc - bias;
    }
    memcpy(mx, S, T * sizeof *mx); /* d_0 = 0: every t has it */
    for (size_t m = 1; m < n; m++) {
        const float *r = S + m * T;
#pragma omp simd
        for (size_t t = (size_t)offs[m]; t < T; t++) mx[t] = r[t] > mx[t] ? r[t] : mx[t];
    }
    memset(sum, 0, T * sizeof *sum);
    for (size_t m = 0; m < n; m++) {
        float *r = S + m * T;
#pragma omp simd
        for (size_t t = (size_t)offs[m]; t < T; t++) {
            r[t] = tsf_expf(r[t] - mx[t]);
            sum[t] += r[t];
        }
    }
#pragma omp simd
    for (size_t t = 0; t < T; t++) sum[t] = 1.0f / sum[t];
    for (size_t m = 0; m < n; m++) {
        float *r = S + m * T;
#pragma omp simd
        for (size_t t = (size_t)offs[m]; t < T; t++) r[t] *= sum[t];
    }
    memset(o, 0, hs * T * sizeof *o);
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        for (size_t i = 0; i < hs; i++) vfma(o + i * T + d, S + m * T + d, v + i * T, T - d);
    }
}

// qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,N)
void tsf_cpu_sparse_attention_forward_panel(float *out, float *att, const float *qkv, size_t B,
                                            size_t T, size_t C, size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH, N = (size_t)tsf_pat_width(&p, (int)NH);
    float *w = malloc((4 * hs + N + 2) * T * sizeof *w);
    if (!w) {
        tsf_cpu_sparse_attention_forward(out, att, qkv, B, T, C, NH, p);
        return;
    }
    float *q = w, *k = q + hs * T, *v = k + hs * T, *o = v + hs * T, *S = o + hs * T;
    float *mx = S + N * T, *sum = mx + T, sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t h = 0; h < NH; h++) {
        size_t n = offsets(&p, h, NH, T, offs);
        float slope = tsf_cpu_alibi_slope(h, NH);
        for (size_t b = 0; b < B; b++) {
            const float *base = qkv + b * T * 3 * C + h * hs;
            panel_in(q, base, 3 * C, T, hs);
            panel_in(k, base + C, 3 * C, T, hs);
            panel_in(v, base + 2 * C, 3 * C, T, hs);
            head_forward(o, S, mx, sum, q, k, v, offs, n, T, hs, sc, slope);
            panel_out(out + b * T * C + h * hs, o, C, T, hs, 0);
            float *a = att + (b * NH + h) * T * N;
            memset(a, 0, T * N * sizeof *a);
            for (size_t m = 0; m < n; m++)
                for (size_t t = (size_t)offs[m]; t < T; t++) a[t * N + m] = S[m * T + t];
        }
    }
    free(w);
}

/* One (batch, head): panels q, k, v, dout (hs,T), P (n,T) the
 * probabilities -> dq, dk, dv (hs,T) +=; D (n,T), s (T) scratch. */
TSF_SIMD_CLONES
static void head_backward(float *restrict dq, float *restrict dk, float *restrict dv,
                          float *restrict D, float *restrict s, const float *q, const float *k,
                          const float *v, const float *dout, const float *P, const int *offs,
                          size_t n, size_t T, size_t hs, float sc)
{
    products(D, dout, v, offs, n, T, hs); /* dP */
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        for (size_t i = 0; i < hs; i++) vfma(dv + i * T, P + m * T + d, dout + i * T + d, T - d);
    }
    vmul(s, P, D, T); /* d_0 = 0 */
    for (size_t m = 1; m < n; m++) {
        size_t d = (size_t)offs[m];
        vfma(s + d, P + m * T + d, D + m * T + d, T - d);
    }
    for (size_t m = 0; m < n; m++) {
        const float *pm = P + m * T;
        float *r = D + m * T;
#pragma omp simd
        for (size_t t = (size_t)offs[m]; t < T; t++) r[t] = pm[t] * (r[t] - s[t]) * sc;
    }
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        for (size_t i = 0; i < hs; i++) {
            vfma(dq + i * T + d, D + m * T + d, k + i * T, T - d);
            vfma(dk + i * T, D + m * T + d, q + i * T + d, T - d);
        }
    }
}

// dout (B,T,C) -> dqkv (B,T,3C) +=; datt (B,NH,T,N) scratch
void tsf_cpu_sparse_attention_backward_panel(float *dqkv, float *datt, const float *dout,
                                             const float *qkv, const float *att, size_t B,
                                             size_t T, size_t C, size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH, N = (size_t)tsf_pat_width(&p, (int)NH);
    float *w = malloc((7 * hs + N + 1) * T * sizeof *w);
    if (!w) {
        tsf_cpu_sparse_attention_backward(dqkv, datt, dout, qkv, att, B, T, C, NH, p);
        return;
    }
    float *q = w, *k = q + hs * T, *v = k + hs * T, *d = v + hs * T, *dq = d + hs * T;
    float *dk = dq + hs * T, *dv = dk + hs * T, *P = dv + hs * T, *s = P + N * T;
    float sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t h = 0; h < NH; h++) {
        size_t n = offsets(&p, h, NH, T, offs);
        for (size_t b = 0; b < B; b++) {
            const float *base = qkv + b * T * 3 * C + h * hs;
            const float *a = att + (b * NH + h) * T * N;
            float *dbase = dqkv + b * T * 3 * C + h * hs;
            panel_in(q, base, 3 * C, T, hs);
            panel_in(k, base + C, 3 * C, T, hs);
            panel_in(v, base + 2 * C, 3 * C, T, hs);
            panel_in(d, dout + b * T * C + h * hs, C, T, hs);
            for (size_t m = 0; m < n; m++)
                for (size_t t = (size_t)offs[m]; t < T; t++) P[m * T + t] = a[t * N + m];
            memset(dq, 0, 3 * hs * T * sizeof *dq);
            /* dP and dS in this (batch, head)'s rows of datt, laid out (n,T) */
            head_backward(dq, dk, dv, datt + (b * NH + h) * T * N, s, q, k, v, d, P, offs, n, T,
                          hs, sc);
            panel_out(dbase, dq, 3 * C, T, hs, 1);
            panel_out(dbase + C, dk, 3 * C, T, hs, 1);
            panel_out(dbase + 2 * C, dv, 3 * C, T, hs, 1);
        }
    }
    free(w);
}
