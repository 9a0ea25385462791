/* CPU kernel of the pruned weights: block-sparse rows (8x1 blocks) times
 * dense rows (prune.h).  A block is 8 outputs of one input, so each block
 * is one 8-wide multiply-add of its weights by a broadcast input value,
 * accumulated in registers for a whole block row: no horizontal sums, one
 * index per 8 weights.  Inputs are taken 4 rows at a time so that each
 * block's weights are loaded once per 4 rows. */
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

TSF_SIMD_CLONES
void tsf_cpu_bsr_matmul(float *out, const float *inp, const float *bias, size_t B, size_t C,
                        size_t OC, const uint32_t *ptr, const uint32_t *col, const float *val)
{
    size_t nbr = (OC + BK - 1) / BK, b0 = 0;
    for (; b0 + 8 <= B; b0 += 8)
        for (size_t i = 0; i < nbr; i++) TILE(8);
    for (; b0 < B; b0++)
        for (size_t i = 0; i < nbr; i++) TILE(1);
}
