/* CPU reference: additive attention (Bahdanau, Cho & Bengio 2015, eq. 6
 * with the projections W_a s, U_a h already applied: q and k),
 *   e_tj = tanh(q_t + k_j)            (hs features per head)
 *   s_tj = va . e_tj [- m_h (t - j)]  (ALiBi, Press et al. 2022)
 *   p_tj = softmax_j s_tj over t - W < j <= t,   out_t = sum_j p_tj v_j.
 * Backward, from the chain rule (no e_tj is stored: the tanh is
 * recomputed, which costs one more pass but no (T, W, hs) tensor):
 *   dp_tj = dout_t . v_j,  dv_j += p_tj dout_t,
 *   ds_tj = p_tj (dp_tj - sum_i p_ti dp_ti),
 *   du = ds_tj va (1 - e_tj^2):  dq_t += du,  dk_j += du,  dva += ds_tj e_tj.
 * The tanh is the cost: T W hs evaluations per head and pass, vectorised
 * over the head's features (tsf_tanhf). */
#include <math.h>
#include <string.h>
#include "cpu_ops.h"
#include "../../gpu/kernel_math.h"

/* va . tanh(q + k) over n features */
static inline float score(const float *q, const float *k, const float *va, size_t n)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (size_t d = 0; d < n; d++) s += va[d] * tsf_tanhf(q[d] + k[d]);
    return s;
}

/* o (n) += a x */
static inline void axpy(float *o, float a, const float *x, size_t n)
{
#pragma omp simd
    for (size_t d = 0; d < n; d++) o[d] += a * x[d];
}

/* One query of one head, for the forward pass and the step alike (one
 * routine, not inlined, so that the parallel sampler's pass gives the
 * step's bits): q (hs) against n keys in position order, key j in row
 * (first + j) % wrap of k and v (wrap 0: no ring), rows ks floats apart;
 * m the ALiBi slope -> o (hs), p (n) the probabilities */
TSF_SIMD_CLONES __attribute__((noinline)) static void query(float *o, float *p, const float *q,
                                                            const float *k, const float *v,
                                                            const float *va, size_t ks,
                                                            size_t n, size_t first, size_t wrap,
                                                            size_t hs, float m)
{
    for (size_t j = 0, slot = first; j < n; j++, slot = slot + 1 == wrap ? 0 : slot + 1)
        p[j] = score(q, k + slot * ks, va, hs) - m * (float)(n - 1 - j);
    tsf_softmaxf(p, n);
    memset(o, 0, hs * sizeof *o);
    for (size_t j = 0, slot = first; j < n; j++, slot = slot + 1 == wrap ? 0 : slot + 1)
        axpy(o, p[j], v + slot * ks, hs);
}

// q, k, v (strided, g) -> out (strided), att (B,NH,T,W)
void tsf_cpu_additive_forward(float *out, float *att, const float *q, const float *k,
                              const float *v, const float *va, const tsf_nn_add_geom *g)
{
    size_t T = g->T, W = g->W, hs = g->hs;
    for (size_t b = 0; b < g->B; b++)
        for (size_t h = 0; h < g->NH; h++) {
            float m = g->alibi ? tk_alibi_slope((int)h, (int)g->NH) : 0.0f;
            for (size_t t = 0; t < T; t++) {
                size_t lo = t + 1 > W ? t + 1 - W : 0, n = t + 1 - lo;
                float *a = att + ((b * g->NH + h) * T + t) * W;
                memset(a, 0, (W - n) * sizeof *a);
                query(out + b * g->ob + t * g->ot + h * hs, a + (W - n),
                      q + b * g->sb + t * g->st + h * hs, k + b * g->sb + h * hs,
                      v + b * g->sb + h * hs, va + h * hs, g->st, n, lo, 0, hs, m);
            }
        }
}

// dout (strided as out) -> dq, dk, dv, dva (+=); scratch (W + hs)
TSF_SIMD_CLONES
void tsf_cpu_additive_backward(float *dq, float *dk, float *dv, float *dva, const float *dout,
                               const float *q, const float *k, const float *v, const float *va,
                               const float *att, const tsf_nn_add_geom *g, float *scratch)
{
    size_t T = g->T, W = g->W, hs = g->hs;
    float *ds = scratch, *dqt = scratch + W;
    for (size_t b = 0; b < g->B; b++)
        for (size_t h = 0; h < g->NH; h++) {
            const float *vh = va + h * hs;
            float *dvh = dva + h * hs;
            for (size_t t = 0; t < T; t++) {
                size_t lo = t + 1 > W ? t + 1 - W : 0, n = t + 1 - lo;
                const float *p = att + ((b * g->NH + h) * T + t) * W + (W - n);
                const float *go = dout + b * g->ob + t * g->ot + h * hs;
                const float *qt = q + b * g->sb + t * g->st + h * hs;
                size_t r0 = b * g->sb + lo * g->st + h * hs;
                /* out = sum p v: dp_j = go . v_j, dv_j += p_j go */
                float dot = 0.0f;
                for (size_t j = 0; j < n; j++) {
                    const float *vj = v + r0 + j * g->st;
                    float *dvj = dv + r0 + j * g->st, s = 0.0f, pj = p[j];
#pragma omp simd reduction(+ : s)
                    for (size_t d = 0; d < hs; d++) {
                        s += go[d] * vj[d];
                        dvj[d] += pj * go[d];
                    }
                    ds[j] = s;
                    dot += pj * s;
                }
                /* softmax, then s = va . tanh(q + k) */
                memset(dqt, 0, hs * sizeof *dqt);
                for (size_t j = 0; j < n; j++) {
                    float dsj = tk_softmax_dscore(p[j], ds[j], dot);
                    const float *kj = k + r0 + j * g->st;
                    float *dkj = dk + r0 + j * g->st;
#pragma omp simd
                    for (size_t d = 0; d < hs; d++) {
                        float e = tsf_tanhf(qt[d] + kj[d]), du = dsj * vh[d] * (1.0f - e * e);
                        dvh[d] += dsj * e;
                        dqt[d] += du;
                        dkj[d] += du;
                    }
                }
                float *dqr = dq + b * g->sb + t * g->st + h * hs;
#pragma omp simd
                for (size_t d = 0; d < hs; d++) dqr[d] += dqt[d];
            }
        }
}

// q (B,C) at position pos, kc/vc (B,W,C) rings -> out (B,C); scratch (NH,W)
void tsf_cpu_additive_step(float *out, const float *q, const float *kc, const float *vc,
                           const float *va, size_t B, size_t NH, size_t hs, size_t W, size_t pos,
                           int alibi, float *scratch)
{
    size_t C = NH * hs, lo = pos + 1 > W ? pos + 1 - W : 0, n = pos + 1 - lo;
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) /* ring slots in position order: lo % W .. */
            query(out + b * C + h * hs, scratch + h * W, q + b * C + h * hs,
                  kc + b * W * C + h * hs, vc + b * W * C + h * hs, va + h * hs, C, n, lo % W,
                  W, hs, alibi ? tk_alibi_slope((int)h, (int)NH) : 0.0f);
}
