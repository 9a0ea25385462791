/* CPU reference: causal multi-head attention with ALiBi position biases
 * (Press, Smith & Lewis 2022) over a sliding window of W positions.  The
 * bias depends only on the distance i - j, so a KV cache that keeps the
 * last W keys/values reproduces the full pass exactly (attention_step).
 * The full pass does each (batch, head) as GEMMs over blocks of query
 * rows: S = Q K^T / sqrt(hs), band-masked softmax, O = P V; the backward
 * pass likewise. */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "cpu_ops.h"

/* Head h's slope: 2^(-8(h+1)/NH), the geometric sequence of the paper. */
float tsf_cpu_alibi_slope(size_t h, size_t NH)
{
    return exp2f(-8.0f * (float)(h + 1) / (float)NH);
}

/* Query rows go in blocks of ROWS; block [r0, r1) needs the keys
 * [max(0, r0 - W + 1), r1) only, so the GEMMs skip the masked corner
 * (about 3/8 of the work at T = 256). */
#define ROWS 64

// qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,T)
void tsf_cpu_attention_forward(float *out, float *att, const float *qkv, size_t B, size_t T,
                               size_t C, size_t NH, size_t W)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs);
    int t3 = (int)(3 * C), iT = (int)T, ihs = (int)hs;
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            float m = tsf_cpu_alibi_slope(h, NH);
            const float *q = qkv + b * T * 3 * C + h * hs, *k = q + C, *v = q + 2 * C;
            float *a = att + (b * NH + h) * T * T;
            for (size_t r0 = 0; r0 < T; r0 += ROWS) {
                size_t r1 = r0 + ROWS < T ? r0 + ROWS : T, k0 = r0 + 1 > W ? r0 + 1 - W : 0;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)(r1 - r0),
                            (int)(r1 - k0), ihs, sc, q + r0 * 3 * C, t3, k + k0 * 3 * C, t3,
                            0.0f, a + r0 * T + k0, iT);
            }
            for (size_t t = 0; t < T; t++) {
                float *r = a + t * T;
                size_t lo = t + 1 > W ? t + 1 - W : 0;
                float mx = -INFINITY;
                for (size_t j = lo; j <= t; j++) {
                    r[j] -= m * (float)(t - j);
                    if (r[j] > mx) mx = r[j];
                }
                float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
                for (size_t j = lo; j <= t; j++) {
                    r[j] = tsf_expf(r[j] - mx);
                    sum += r[j];
                }
                float inv = 1.0f / sum;
                memset(r, 0, lo * sizeof *r);
                for (size_t j = lo; j <= t; j++) r[j] *= inv;
                memset(r + t + 1, 0, (T - t - 1) * sizeof *r);
            }
            for (size_t r0 = 0; r0 < T; r0 += ROWS) {
                size_t r1 = r0 + ROWS < T ? r0 + ROWS : T, k0 = r0 + 1 > W ? r0 + 1 - W : 0;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(r1 - r0), ihs,
                            (int)(r1 - k0), 1.0f, a + r0 * T + k0, iT, v + k0 * 3 * C, t3, 0.0f,
                            out + (b * T + r0) * C + h * hs, (int)C);
            }
        }
}

// dout (B,T,C) -> dqkv (B,T,3C) +=; datt (B,NH,T,T) scratch
void tsf_cpu_attention_backward(float *dqkv, float *datt, const float *dout, const float *qkv,
                                const float *att, size_t B, size_t T, size_t C, size_t NH,
                                size_t W)
{
    size_t hs = C / NH;
    float sc = 1.0f / sqrtf((float)hs);
    int t3 = (int)(3 * C), iT = (int)T, ihs = (int)hs, iC = (int)C;
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            const float *q = qkv + b * T * 3 * C + h * hs, *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + b * T * 3 * C + h * hs, *dk = dq + C, *dv = dq + 2 * C;
            const float *a = att + (b * NH + h) * T * T, *d = dout + b * T * C + h * hs;
            float *da = datt + (b * NH + h) * T * T;
            for (size_t r0 = 0; r0 < T; r0 += ROWS) {
                size_t r1 = r0 + ROWS < T ? r0 + ROWS : T, k0 = r0 + 1 > W ? r0 + 1 - W : 0;
                int nr = (int)(r1 - r0), nk = (int)(r1 - k0);
                const float *ab = a + r0 * T + k0;
                float *db = da + r0 * T + k0;
                /* O = P V:  dP = dO V^T,  dV += P^T dO */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nk, ihs, 1.0f,
                            d + r0 * C, iC, v + k0 * 3 * C, t3, 0.0f, db, iT);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nk, ihs, nr, 1.0f, ab, iT,
                            d + r0 * C, iC, 1.0f, dv + k0 * 3 * C, t3);
                /* softmax: dS = P (dP - rowsum(P dP)); P is 0 outside the band */
                for (size_t t = r0; t < r1; t++) {
                    const float *p = a + t * T;
                    float *r = da + t * T, dot = 0.0f;
#pragma omp simd reduction(+ : dot)
                    for (size_t j = k0; j < r1; j++) dot += p[j] * r[j];
#pragma omp simd
                    for (size_t j = k0; j < r1; j++) r[j] = p[j] * (r[j] - dot);
                }
                /* S = sc Q K^T:  dQ += sc dS K,  dK += sc dS^T Q */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, ihs, nk, sc, db, iT,
                            k + k0 * 3 * C, t3, 1.0f, dq + r0 * 3 * C, t3);
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nk, ihs, nr, sc, db, iT,
                            q + r0 * 3 * C, t3, 1.0f, dk + k0 * 3 * C, t3);
            }
        }
}

/* One query: the routine of cpu_attn_query.c for one path. */
void tsf_cpu_attn_query(float *out, const float *q, const float *k, const float *v, size_t ks,
                        size_t n, size_t first, size_t wrap, size_t C, size_t NH,
                        const float *slope, float *p, size_t ps)
{
    tsf_cpu_attn_queries(out, q, 1, NULL, NULL, 0, k, v, ks, 0, n, first, wrap, C, NH, slope, p,
                         ps, 0);
}

#define MAXH 64 /* heads (the transformer's limit) */

// q (B,C) at position pos, kc/vc (B,W,C) rings -> out (B,C); scratch (NH,W)
void tsf_cpu_attention_step(float *out, const float *q, const float *kc, const float *vc,
                            size_t B, size_t C, size_t NH, size_t W, size_t pos, float *scratch)
{
    float slope[MAXH];
    size_t lo = pos + 1 > W ? pos + 1 - W : 0, n = pos + 1 - lo;
    for (size_t h = 0; h < NH && h < MAXH; h++) slope[h] = tsf_cpu_alibi_slope(h, NH);
    /* the ring walked from the oldest key's slot, without a division per row */
    for (size_t b = 0; b < B; b++)
        tsf_cpu_attn_query(out + b * C, q + b * C, kc + b * W * C, vc + b * W * C, C, n, lo % W,
                           W, C, NH, slope, scratch, W);
}

/* The inference pass's attention (cpu_invariant.c): every query through
 * the step's routine, its probabilities written into att as the GEMM
 * version writes them.  qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,T) */
void tsf_cpu_attention_forward_q(float *out, float *att, const float *qkv, size_t B, size_t T,
                                 size_t C, size_t NH, size_t W)
{
    float slope[MAXH];
    for (size_t h = 0; h < NH && h < MAXH; h++) slope[h] = tsf_cpu_alibi_slope(h, NH);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            size_t lo = t + 1 > W ? t + 1 - W : 0, n = t + 1 - lo;
            const float *base = qkv + b * T * 3 * C;
            float *p = att + (b * NH * T + t) * T;
            tsf_cpu_attn_query(out + (b * T + t) * C, base + t * 3 * C, base + C, base + 2 * C,
                               3 * C, n, lo, 0, C, NH, slope, p + lo, T * T);
            for (size_t h = 0; h < NH; h++) {
                memset(p + h * T * T, 0, lo * sizeof *p);
                memset(p + h * T * T + t + 1, 0, (T - t - 1) * sizeof *p);
            }
        }
}
