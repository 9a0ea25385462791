/* CPU reference of attention_step_shared (backend.h): the KV-cache step of
 * B sample paths that continue one history.  Every path's window holds the
 * same trailing positions of the history (the shared prefix, stored once)
 * and then positions of its own.  Per head the prefix part is two GEMMs
 * over all paths at once:
 *     S_pre = sc Q_h K_pre,h^T        (B,hs) x (hs,np)
 *     O_h   = A_pre V_pre,h           (B,np) x (np,hs)
 * and the paths' own positions (at most the horizon) are dot products.
 * The ALiBi bias -m_h (pos - a) depends on the key's position only (all
 * paths are at the same position), and the softmax runs over the row
 * [prefix scores | own scores] with its maximum subtracted, the
 * arithmetic of attention_step (cpu_attention.c). */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "cpu_ops.h"

/* Reductions in 8 fixed lanes combined in a fixed order, so that the AVX2
 * and the portable versions (TSF_SIMD_CLONES) give the same bits; the
 * helpers are inlined into both versions. */
#define INLINE static inline __attribute__((always_inline))
INLINE float sum8(const float s[8])
{
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

INLINE float dot8(const float *x, const float *y, size_t n)
{
    float s[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t l = 0; l < 8; l++) s[l] += x[i + l] * y[i + l];
    for (size_t l = 0; i < n; i++, l++) s[l] += x[i] * y[i];
    return sum8(s);
}

/* r (n) := softmax of r_j - m (d0 - j) (the ALiBi bias of a key d0 - j
 * positions back), its maximum subtracted first */
INLINE void bias_softmax(float *r, size_t n, float m, float d0)
{
    float mx[8], s[8] = {0};
    for (size_t l = 0; l < 8; l++) mx[l] = -INFINITY;
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (size_t l = 0; l < 8; l++) {
            float v = r[j + l] - m * (d0 - (float)(j + l));
            r[j + l] = v;
            mx[l] = v > mx[l] ? v : mx[l];
        }
    for (size_t l = 0; j < n; j++, l++) {
        r[j] -= m * (d0 - (float)j);
        mx[l] = r[j] > mx[l] ? r[j] : mx[l];
    }
    float M = mx[0];
    for (size_t l = 1; l < 8; l++) M = mx[l] > M ? mx[l] : M;
    for (j = 0; j + 8 <= n; j += 8)
        for (size_t l = 0; l < 8; l++) {
            float e = tsf_expf(r[j + l] - M);
            r[j + l] = e;
            s[l] += e;
        }
    for (size_t l = 0; j < n; j++, l++) {
        r[j] = tsf_expf(r[j] - M);
        s[l] += r[j];
    }
    float inv = 1.0f / sum8(s);
#pragma omp simd
    for (j = 0; j < n; j++) r[j] *= inv;
}

// q (B,C) at pos; kp, vp (P,C) of positions p0..p0+P-1; ks, vs (R,B,C) rings -> out (B,C);
// scratch (NH,B,W)
TSF_SIMD_CLONES
void tsf_cpu_attention_step_shared(float *out, const float *q, const float *kp,
                                   const float *vp, size_t P, size_t p0, const float *ks,
                                   const float *vs, size_t R, size_t B, size_t C, size_t NH,
                                   size_t W, size_t pos, float *scratch)
{
    size_t hs = C / NH, e = p0 + P; /* e: the first position of a path's own */
    size_t lo = pos + 1 > W ? pos + 1 - W : 0;
    /* in the window: prefix positions [a0, e), own positions [s0, pos];
     * when both parts are there they are contiguous (s0 = e) */
    size_t a0 = lo > p0 ? lo : p0, np = e > a0 ? e - a0 : 0;
    size_t s0 = lo > e ? lo : e, ns = pos + 1 - s0, n = np + ns;
    float sc = 1.0f / sqrtf((float)hs);
    int iC = (int)C, in = (int)n, ihs = (int)hs;
    /* scores: row (h, b) of n at scratch + (h B + b) n; the prefix part
     * per head as one GEMM */
    for (size_t h = 0; np && h < NH; h++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)np, ihs, sc, q + h * hs,
                    iC, kp + (a0 - p0) * C + h * hs, iC, 0.0f, scratch + h * B * n, in);
    /* the paths' own keys: slot by slot, all paths' rows (all heads) in
     * one contiguous sweep */
    for (size_t j = 0; j < ns; j++) {
        const float *k = ks + ((s0 + j - e) % R) * B * C;
        for (size_t b = 0; b < B; b++)
            for (size_t h = 0; h < NH; h++)
                scratch[(h * B + b) * n + np + j] =
                    dot8(q + b * C + h * hs, k + b * C + h * hs, hs) * sc;
    }
    /* the ALiBi bias depends on the key's position only (every path is
     * at pos); one softmax per row over both parts */
    float d0 = (float)(pos - (np ? a0 : s0));
    for (size_t h = 0; h < NH; h++) {
        float m = tsf_cpu_alibi_slope(h, NH);
        for (size_t b = 0; b < B; b++) bias_softmax(scratch + (h * B + b) * n, n, m, d0);
    }
    /* outputs: the prefix part per head as one GEMM, then the own values */
    for (size_t h = 0; np && h < NH; h++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, ihs, (int)np, 1.0f,
                    scratch + h * B * n, in, vp + (a0 - p0) * C + h * hs, iC, 0.0f, out + h * hs,
                    iC);
    if (!np) memset(out, 0, B * C * sizeof *out);
    for (size_t j = 0; j < ns; j++) {
        const float *v = vs + ((s0 + j - e) % R) * B * C;
        for (size_t b = 0; b < B; b++)
            for (size_t h = 0; h < NH; h++) {
                float pj = scratch[(h * B + b) * n + np + j];
                float *restrict o = out + b * C + h * hs;
                const float *restrict vr = v + b * C + h * hs;
#pragma omp simd
                for (size_t i = 0; i < hs; i++) o[i] += pj * vr[i];
            }
    }
}
