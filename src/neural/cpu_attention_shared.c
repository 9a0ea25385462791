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

// q (B,C) at pos; kp, vp (P,C) positions p0..p0+P-1; ks, vs (B,R,C) rings -> out (B,C); scratch (B,W)
void tsf_cpu_attention_step_shared(float *out, const float *q, const float *kp,
                                   const float *vp, size_t P, size_t p0, const float *ks,
                                   const float *vs, size_t R, size_t B, size_t C, size_t NH,
                                   size_t W, size_t pos, float *scratch)
{
    size_t hs = C / NH, e = p0 + P; /* e: the first position of a path's own */
    size_t lo = pos + 1 > W ? pos + 1 - W : 0;
    /* in the window: prefix positions [a0, e), own positions [s0, pos] */
    size_t a0 = lo > p0 ? lo : p0, np = e > a0 ? e - a0 : 0;
    size_t s0 = lo > e ? lo : e, ns = pos + 1 - s0, n = np + ns;
    float sc = 1.0f / sqrtf((float)hs);
    int iC = (int)C, in = (int)n, ihs = (int)hs;
    for (size_t h = 0; h < NH; h++) {
        float m = tsf_cpu_alibi_slope(h, NH);
        const float *qh = q + h * hs;
        float *oh = out + h * hs;
        if (np) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)B, (int)np, ihs, sc, qh,
                        iC, kp + (a0 - p0) * C + h * hs, iC, 0.0f, scratch, in);
            for (size_t b = 0; b < B; b++) {
                float *r = scratch + b * n;
#pragma omp simd
                for (size_t j = 0; j < np; j++) r[j] -= m * (float)(pos - a0 - j);
            }
        }
        for (size_t b = 0; b < B; b++) {
            const float *qb = qh + b * C;
            float *r = scratch + b * n + np;
            for (size_t j = 0; j < ns; j++) {
                size_t a = s0 + j;
                const float *k = ks + (b * R + (a - e) % R) * C + h * hs;
                float s = 0.0f;
#pragma omp simd reduction(+ : s)
                for (size_t i = 0; i < hs; i++) s += qb[i] * k[i];
                r[j] = s * sc - m * (float)(pos - a);
            }
            tsf_softmaxf(scratch + b * n, n);
        }
        if (np)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)B, ihs, (int)np, 1.0f,
                        scratch, in, vp + (a0 - p0) * C + h * hs, iC, 0.0f, oh, iC);
        for (size_t b = 0; b < B; b++) {
            float *o = oh + b * C;
            const float *p = scratch + b * n + np;
            if (!np) memset(o, 0, hs * sizeof *o);
            for (size_t j = 0; j < ns; j++) {
                const float *v = vs + (b * R + (s0 + j - e) % R) * C + h * hs;
                float pj = p[j];
#pragma omp simd
                for (size_t i = 0; i < hs; i++) o[i] += pj * v[i];
            }
        }
    }
}
