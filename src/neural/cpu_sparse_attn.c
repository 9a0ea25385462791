/* CPU reference of the sparse attention patterns (attn_pattern.h): causal
 * ALiBi attention (as cpu_attention.c) where query t of head h gathers
 * only the keys t - d of its offset list.  Work and memory are
 * O(T x count) per head, not O(T x W): the probabilities are stored as
 * (B,NH,T,N) rows of the pattern's entries.
 *
 * Backward, per query row t (softmax backward as cpu_attention.c):
 * dP_m = dO_t . V_{t-d_m}, dS_m = P_m (dP_m - sum_m P_m dP_m), then
 * dQ_t += sc sum_m dS_m K_{t-d_m}, dK_{t-d_m} += sc dS_m Q_t and
 * dV_{t-d_m} += P_m dO_t (scattered; one (batch, head) at a time). */
#include <math.h>
#include <string.h>
#include "cpu_ops.h"

#define MAXN 4096 /* the largest window (transformer context) */

static inline float dot(const float *restrict x, const float *restrict y, size_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

static inline void axpy(float *restrict y, float a, const float *restrict x, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

/* Offsets of head h into offs; returns their number. */
static size_t offsets(const tsf_nn_pattern *p, size_t h, size_t NH, int *offs)
{
    int n = tsf_pat_count(p, (int)h, (int)NH);
    for (int m = 0; m < n && m < MAXN; m++) offs[m] = tsf_pat_offset(p, (int)h, (int)NH, m);
    return n < MAXN ? (size_t)n : MAXN;
}

/* One query of one head, for the forward pass and the step alike (one
 * routine, not inlined, so that the parallel sampler's pass gives the
 * step's bits): q (hs) at position pos against the keys pos - d of the
 * nv offsets d, key row ((pos - d) % wrap) (pos - d with wrap 0) of k
 * and v, rows ks floats apart -> o (hs), s (nv) its probabilities */
__attribute__((noinline)) static void query(float *o, float *s, const float *q, const float *k,
                                            const float *v, size_t ks, size_t pos, size_t wrap,
                                            const int *offs, size_t nv, size_t hs, float sc,
                                            float slope)
{
    for (size_t m = 0; m < nv; m++) {
        size_t d = (size_t)offs[m], row = wrap ? (pos - d) % wrap : pos - d;
        s[m] = dot(q, k + row * ks, hs) * sc - slope * (float)d;
    }
    tsf_softmaxf(s, nv);
    memset(o, 0, hs * sizeof *o);
    for (size_t m = 0; m < nv; m++) {
        size_t d = (size_t)offs[m], row = wrap ? (pos - d) % wrap : pos - d;
        axpy(o, s[m], v + row * ks, hs);
    }
}

// qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,N)
void tsf_cpu_sparse_attention_forward(float *out, float *att, const float *qkv, size_t B,
                                      size_t T, size_t C, size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH, N = (size_t)tsf_pat_width(&p, (int)NH);
    float sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t h = 0; h < NH; h++) {
        size_t n = offsets(&p, h, NH, offs);
        float slope = tsf_cpu_alibi_slope(h, NH);
        for (size_t b = 0; b < B; b++) {
            const float *base = qkv + b * T * 3 * C + h * hs;
            for (size_t t = 0; t < T; t++) {
                float *a = att + ((b * NH + h) * T + t) * N;
                size_t nv = 0; /* offsets d <= t: a prefix of the ascending list */
                while (nv < n && (size_t)offs[nv] <= t) nv++;
                query(out + (b * T + t) * C + h * hs, a, base + t * 3 * C, base + C, base + 2 * C,
                      3 * C, t, 0, offs, nv, hs, sc, slope);
                memset(a + nv, 0, (N - nv) * sizeof *a);
            }
        }
    }
}

// dout (B,T,C) -> dqkv (B,T,3C) +=; datt (B,NH,T,N) scratch
void tsf_cpu_sparse_attention_backward(float *dqkv, float *datt, const float *dout,
                                       const float *qkv, const float *att, size_t B, size_t T,
                                       size_t C, size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH, N = (size_t)tsf_pat_width(&p, (int)NH);
    float sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t h = 0; h < NH; h++) {
        size_t n = offsets(&p, h, NH, offs);
        for (size_t b = 0; b < B; b++) {
            const float *base = qkv + b * T * 3 * C + h * hs;
            float *dbase = dqkv + b * T * 3 * C + h * hs;
            for (size_t t = 0; t < T; t++) {
                const float *a = att + ((b * NH + h) * T + t) * N;
                float *ds = datt + ((b * NH + h) * T + t) * N;
                const float *d = dout + (b * T + t) * C + h * hs, *q = base + t * 3 * C;
                float *dq = dbase + t * 3 * C, s = 0.0f;
                size_t nv = 0;
                while (nv < n && (size_t)offs[nv] <= t) nv++;
                for (size_t m = 0; m < nv; m++) {
                    ds[m] = dot(d, base + (t - (size_t)offs[m]) * 3 * C + 2 * C, hs);
                    s += a[m] * ds[m];
                }
                for (size_t m = 0; m < nv; m++) {
                    size_t j = t - (size_t)offs[m];
                    float g = a[m] * (ds[m] - s) * sc;
                    axpy(dq, g, base + j * 3 * C + C, hs);
                    axpy(dbase + j * 3 * C + C, g, q, hs);
                    axpy(dbase + j * 3 * C + 2 * C, a[m], d, hs);
                }
            }
        }
    }
}

// q (B,C) at position pos, kc/vc (B,R,C) rings -> out (B,C); scratch (NH,N)
void tsf_cpu_sparse_attention_step(float *out, const float *q, const float *kc, const float *vc,
                                   size_t B, size_t C, size_t NH, size_t pos, tsf_nn_pattern p,
                                   float *scratch)
{
    size_t hs = C / NH, R = (size_t)tsf_pat_span(&p, (int)NH);
    float sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t h = 0; h < NH; h++) {
        size_t n = offsets(&p, h, NH, offs), nv = 0;
        while (nv < n && (size_t)offs[nv] <= pos) nv++;
        float slope = tsf_cpu_alibi_slope(h, NH);
        for (size_t b = 0; b < B; b++)
            query(out + b * C + h * hs, scratch, q + b * C + h * hs, kc + b * R * C + h * hs,
                  vc + b * R * C + h * hs, C, pos, R, offs, nv, hs, sc, slope);
    }
}
