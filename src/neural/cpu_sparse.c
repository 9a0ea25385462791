/* CPU kernel of the pruned weights: block-sparse rows (8x1 blocks) times
 * dense rows (prune.h).  A block is 8 outputs of one input, so each block
 * is one 8-wide multiply-add of its weights by a broadcast input value,
 * accumulated in registers for a whole block row: no horizontal sums, one
 * index per 8 weights.  Inputs are taken 4 rows at a time so that each
 * block's weights are loaded once per 4 rows.  Each output is the bias
 * plus its terms in column order, one rounding each (a fused multiply-add
 * with tsf_cpu_fma()): the arithmetic of the invariant dense product
 * minus the zero terms, so the same bits (cpu_invariant.c). */
#include <stdint.h>
#include <string.h>
#include "cpu_ops.h"
#include "prune.h"

#define BK TSF_NN_BLOCK

/* 8 floats as one vector (GCC/clang vector extension: one AVX register,
 * or two SSE ones); loads and stores through memcpy (no alignment). */
typedef float v8 __attribute__((vector_size(BK * sizeof(float))));


/* Inputs are taken NB rows at a time (NB = 8, then 1 for the rest), all
 * block rows for each group: each block's 8 weights are loaded once per
 * group and the NB accumulators stay in vector registers. */
#define TILE(NB)                                                                              \
    do {                                                                                      \
        size_t r0 = i * BK, nr = OC - r0 < BK ? OC - r0 : BK;                                 \
        float bb[BK] = {0};                                                                   \
        for (size_t r = 0; bias && r < nr; r++) bb[r] = bias[r0 + r];                         \
        v8 acc[NB], w;                                                                        \
        for (size_t t = 0; t < (NB); t++) memcpy(&acc[t], bb, sizeof w);                      \
        for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++) {                                      \
            memcpy(&w, val + (size_t)k * BK, sizeof w);                                       \
            const float *xc = inp + b0 * C + col[k];                                          \
            for (size_t t = 0; t < (NB); t++) acc[t] += xc[t * C] * w;                        \
        }                                                                                     \
        for (size_t t = 0; t < (NB); t++) {                                                   \
            float a[BK];                                                                      \
            memcpy(a, &acc[t], sizeof a);                                                     \
            memcpy(out + (b0 + t) * OC + r0, a, nr * sizeof(float));                          \
        }                                                                                     \
    } while (0)

#if TSF_CPU_X86_FMA
#include <immintrin.h>
#define BSR_FMA 1
/* The 8 biases of the block row from output r0 (nr of them; zeros past
 * OC or without a bias), and the nr outputs of a row's block to out. */
__attribute__((target("avx2"))) static inline __m256 bias8(const float *bias, size_t r0,
                                                           size_t nr)
{
    float bb[BK] = {0};
    for (size_t r = 0; bias && r < nr; r++) bb[r] = bias[r0 + r];
    return _mm256_loadu_ps(bb);
}
__attribute__((target("avx2"))) static inline void store8(float *out, __m256 a, size_t nr)
{
    float o[BK];
    _mm256_storeu_ps(o, a);
    memcpy(out, o, nr * sizeof(float));
}

/* Groups of 8 rows on a CPU with FMA: the tile above with one fused
 * multiply-add per block and row (mul + add is twice the instructions on
 * the two vector ports; bench/prune.sh kernel). */
__attribute__((target("avx2,fma"))) static void tile8_fma(float *out, const float *inp,
                                                          const float *bias, size_t b0,
                                                          size_t C, size_t OC, size_t i,
                                                          const uint32_t *ptr,
                                                          const uint32_t *col, const float *val)
{
    size_t r0 = i * BK, nr = OC - r0 < BK ? OC - r0 : BK;
    __m256 b = bias8(bias, r0, nr);
    __m256 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
    for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++) {
        __m256 w = _mm256_loadu_ps(val + (size_t)k * BK);
        const float *x = inp + b0 * C + col[k];
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(x), w, a0);
        a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + C), w, a1);
        a2 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 2 * C), w, a2);
        a3 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 3 * C), w, a3);
        a4 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 4 * C), w, a4);
        a5 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 5 * C), w, a5);
        a6 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 6 * C), w, a6);
        a7 = _mm256_fmadd_ps(_mm256_broadcast_ss(x + 7 * C), w, a7);
    }
    __m256 acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
    for (size_t t = 0; t < 8; t++) store8(out + (b0 + t) * OC + r0, acc[t], nr);
}

/* Rows b0 .. B-1 one at a time with FMAs (the rows the groups of 8 leave
 * over, or all of them for fewer than 8), with the same arithmetic per
 * output as tile8_fma, so that a row's result does not depend on the
 * number of rows (batch-invariant inference, cpu_invariant.c) */
__attribute__((target("avx2,fma"))) static void rows_fma(float *out, const float *inp,
                                                         const float *bias, size_t b0, size_t B,
                                                         size_t C, size_t OC, size_t nbr,
                                                         const uint32_t *ptr,
                                                         const uint32_t *col, const float *val)
{
    for (; b0 < B; b0++) {
        const float *x = inp + b0 * C;
        size_t i = 0;
        /* four block rows at once: four independent chains of FMAs (one
         * chain waits on each FMA's latency), each in its column order */
        for (; i + 4 <= nbr; i += 4) {
            __m256 a[4];
            uint32_t p[4], e[4], common = UINT32_MAX;
            for (size_t j = 0; j < 4; j++) {
                size_t r0 = (i + j) * BK;
                a[j] = bias8(bias, r0, OC - r0 < BK ? OC - r0 : BK);
                p[j] = ptr[i + j];
                e[j] = ptr[i + j + 1];
                common = e[j] - p[j] < common ? e[j] - p[j] : common;
            }
            for (uint32_t t = 0; t < common; t++)
                for (size_t j = 0; j < 4; j++)
                    a[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(x + col[p[j] + t]),
                                           _mm256_loadu_ps(val + (size_t)(p[j] + t) * BK), a[j]);
            for (size_t j = 0; j < 4; j++) {
                for (uint32_t k = p[j] + common; k < e[j]; k++)
                    a[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(x + col[k]),
                                           _mm256_loadu_ps(val + (size_t)k * BK), a[j]);
                size_t r0 = (i + j) * BK;
                store8(out + b0 * OC + r0, a[j], OC - r0 < BK ? OC - r0 : BK);
            }
        }
        for (; i < nbr; i++) {
            size_t r0 = i * BK, nr = OC - r0 < BK ? OC - r0 : BK;
            __m256 a = bias8(bias, r0, nr);
            for (uint32_t k = ptr[i]; k < ptr[i + 1]; k++)
                a = _mm256_fmadd_ps(_mm256_broadcast_ss(x + col[k]),
                                    _mm256_loadu_ps(val + (size_t)k * BK), a);
            store8(out + b0 * OC + r0, a, nr);
        }
    }
}
#else
#define BSR_FMA 0
#endif

TSF_SIMD_CLONES
void tsf_cpu_bsr_matmul(float *out, const float *inp, const float *bias, size_t B, size_t C,
                        size_t OC, const uint32_t *ptr, const uint32_t *col, const float *val)
{
    size_t nbr = (OC + BK - 1) / BK, b0 = 0;
#if BSR_FMA
    /* FMAs for every row or for none (tsf_cpu_fma): the row's bits must
     * not depend on B */
    if (tsf_cpu_fma()) {
        for (; b0 + 8 <= B; b0 += 8)
            for (size_t i = 0; i < nbr; i++) tile8_fma(out, inp, bias, b0, C, OC, i, ptr, col, val);
        rows_fma(out, inp, bias, b0, B, C, OC, nbr, ptr, col, val);
        return;
    }
#endif
    for (; b0 + 8 <= B; b0 += 8)
        for (size_t i = 0; i < nbr; i++) TILE(8);
    for (; b0 < B; b0++)
        for (size_t i = 0; i < nbr; i++) TILE(1);
}
