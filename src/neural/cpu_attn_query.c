/* The one-query dense attention of inference (docs/neural.md, "Sampling"):
 * the routine of attention_step, of attention_step_shared (many paths
 * continuing one history) and of the inference pass's attention
 * (attention_forward_q), so that the three give the same bits for the
 * same query, keys and values.  Each output's arithmetic is defined
 * here, independently of how many paths a call takes:
 *  - score of key j, head h: the head's hs columns in 8 lanes (column i in
 *    lane i % 8), each lane a chain of multiply-adds in column order from
 *    0, the lanes summed as ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 +
 *    l7)); then score * (1 / sqrt(hs)) - slope_h * (distance), the ALiBi
 *    bias (Press, Smith & Lewis 2022);
 *  - softmax per head: the maximum subtracted, exp (tsf_expf's
 *    polynomial, 8 at a time), the exps summed in 8 lanes (key j in lane
 *    j % 8, in key order) and the same tree, each multiplied by 1 / sum;
 *  - output column i of head h: a chain of multiply-adds over the keys in
 *    position order, p_j v_j[i], from 0.
 * A multiply-add is fused on a CPU with FMA and a multiply and an add
 * otherwise, the same choice for the whole process (tsf_cpu_fma, as the
 * invariant product, cpu_invariant.c): the results are the same bits on a
 * given CPU, whatever the route.
 *
 * Speed: the scores go 8 keys at a time (8 independent chains, summed by
 * horizontal adds into one vector of 8 scores), the weighted sums 64
 * columns at a time in registers.  Several paths' queries (G) run against
 * each block of keys or values while the block is in L1: with the shared
 * prefix of a forecast the history's rows are read from memory once per
 * block for all paths, not once per path. */
#include <math.h>
#include <string.h>
#include "cpu_ops.h"

#define JB 8  /* keys of a score block (one vector of scores) */
#define VB 16 /* value rows of a block */

/* 8-float vectors passed by value between static functions of this file
 * only: GCC's note that such a parameter's ABI differs with AVX concerns
 * calls across files, which there are none of. */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8 __attribute__((vector_size(8 * sizeof(float))));
typedef int32_t v8i __attribute__((vector_size(8 * sizeof(int32_t))));

/* The rows of keys j0 .. j0 + nb - 1 (nb = min(nmax, nt - j0)): key j < n0
 * in row j of k0 (C floats apart), later ones in the ring k from *slot
 * (rows ks apart, wrapping at wrap; 0: no ring), ring[r] = 1 for those
 * (a path's own rows are further on); rows past nb repeat row 0. */
static size_t rows(const float **kr, size_t *ring, const float *k0, const float *k, size_t ks,
                   size_t n0, size_t j0, size_t nt, size_t nmax, size_t C, size_t *slot,
                   size_t wrap)
{
    size_t nb = nt - j0 < nmax ? nt - j0 : nmax;
    for (size_t r = 0; r < nmax; r++) {
        size_t j = j0 + r;
        if (r >= nb) {
            kr[r] = kr[0];
            ring[r] = ring[0];
        } else if (j < n0) {
            kr[r] = k0 + j * C;
            ring[r] = 0;
        } else {
            kr[r] = k + *slot * ks;
            ring[r] = 1;
            if (++*slot == wrap) *slot = 0;
        }
    }
    return nb;
}

static inline float tree1(v8 a)
{
    float l[8];
    memcpy(l, &a, sizeof l);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* tsf_expf (cpu_ops.h) on 8 lanes: the same operations lane by lane */
static inline __attribute__((always_inline)) v8 exp8(v8 x)
{
    v8i u, lim = {0}, sign = {0};
    lim += 0x42AE0000; /* 87.0f */
    sign += INT32_MIN;
    memcpy(&u, &x, sizeof u);
    v8i a = u & INT32_MAX, big = a > lim;
    a = (a & ~big) | (lim & big);
    u = (u & sign) | a;
    memcpy(&x, &u, sizeof x);
    v8 n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;
    v8 r = x - n * 0.693145751953125f - n * 1.428606765330187e-6f;
    v8 p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f +
                                             r * (8.3333338e-3f + r * 1.3888889e-3f)))));
    v8i e = (__builtin_convertvector(n, v8i) + 127) * (1 << 23);
    v8 f;
    memcpy(&f, &e, sizeof f);
    return p * f;
}

/* p (n >= 1) := softmax(p) as defined above */
static inline __attribute__((always_inline)) void softmax(float *p, size_t n)
{
    float mx = -INFINITY;
    for (size_t j = 0; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    v8 sum = {0}, x;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        memcpy(&x, p + j, sizeof x);
        x = exp8(x - mx);
        memcpy(p + j, &x, sizeof x);
        sum += x;
    }
    if (j < n) { /* the last keys, zeros in the lanes past n */
        float b[8] = {0};
        memcpy(b, p + j, (n - j) * sizeof *b);
        memcpy(&x, b, sizeof x);
        x = exp8(x - mx);
        memcpy(b, &x, sizeof x);
        for (size_t r = n - j; r < 8; r++) b[r] = 0.0f;
        memcpy(p + j, b, (n - j) * sizeof *b);
        memcpy(&x, b, sizeof x);
        sum += x;
    }
    float inv = 1.0f / tree1(sum);
    for (j = 0; j < n; j++) p[j] *= inv;
}

/* Portable: multiply then add (-std=c11 keeps the compiler from fusing
 * them); loads of m < 8 floats padded with zeros. */
static inline v8 loadn(const float *p, size_t m)
{
    v8 x = {0};
    memcpy(&x, p, m * sizeof(float));
    return x;
}
static inline void storen(float *p, v8 x, size_t m) { memcpy(p, &x, m * sizeof(float)); }
static inline v8 tree8(v8 a0, v8 a1, v8 a2, v8 a3, v8 a4, v8 a5, v8 a6, v8 a7)
{
    v8 s = {tree1(a0), tree1(a1), tree1(a2), tree1(a3),
            tree1(a4), tree1(a5), tree1(a6), tree1(a7)};
    return s;
}

#define FN(name) name##_portable
#define TARGET
#define MADD(a, b, c) ((a) * (b) + (c))
#define LOADN loadn
#define STOREN storen
#define BCAST(x) ((v8){0} + (x))
#define TREE8 tree8
#include "cpu_attn_query_body.h"
#undef FN
#undef TARGET
#undef MADD
#undef LOADN
#undef STOREN
#undef BCAST
#undef TREE8

#if TSF_CPU_X86_FMA
#include <immintrin.h>
static const int32_t masks[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

__attribute__((target("avx2"))) static inline v8 loadn_avx(const float *p, size_t m)
{
    if (m == 8) return (v8)_mm256_loadu_ps(p);
    return (v8)_mm256_maskload_ps(p, _mm256_loadu_si256((const __m256i *)(masks + 8 - m)));
}
__attribute__((target("avx2"))) static inline void storen_avx(float *p, v8 x, size_t m)
{
    if (m == 8) _mm256_storeu_ps(p, (__m256)x);
    else _mm256_maskstore_ps(p, _mm256_loadu_si256((const __m256i *)(masks + 8 - m)), (__m256)x);
}
/* the tree of tree1 for 8 vectors at once: lane r of the result is a_r's
 * ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)) */
__attribute__((target("avx2"))) static inline v8 tree8_avx(v8 a0, v8 a1, v8 a2, v8 a3, v8 a4,
                                                            v8 a5, v8 a6, v8 a7)
{
    __m256 x = _mm256_hadd_ps(_mm256_hadd_ps((__m256)a0, (__m256)a1),
                              _mm256_hadd_ps((__m256)a2, (__m256)a3));
    __m256 y = _mm256_hadd_ps(_mm256_hadd_ps((__m256)a4, (__m256)a5),
                              _mm256_hadd_ps((__m256)a6, (__m256)a7));
    return (v8)_mm256_add_ps(_mm256_permute2f128_ps(x, y, 0x20),
                             _mm256_permute2f128_ps(x, y, 0x31));
}

#define FN(name) name##_fma
#define TARGET __attribute__((target("avx2,fma")))
#define MADD(a, b, c) ((v8)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#define LOADN loadn_avx
#define STOREN storen_avx
#define BCAST(x) ((v8)_mm256_set1_ps(x))
#define TREE8 tree8_avx
#include "cpu_attn_query_body.h"
#undef FN
#undef TARGET
#undef MADD
#undef LOADN
#undef STOREN
#undef BCAST
#undef TREE8
#endif

void tsf_cpu_attn_queries(float *out, const float *q, size_t G, const float *k0, const float *v0,
                          size_t n0, const float *k, const float *v, size_t ks, size_t gs,
                          size_t n, size_t first, size_t wrap, size_t C, size_t NH,
                          const float *slope, float *p, size_t ps, size_t pg)
{
#if TSF_CPU_X86_FMA
    if (tsf_cpu_fma()) {
        queries_fma(out, q, G, k0, v0, n0, k, v, ks, gs, n, first, wrap, C, NH, slope, p, ps, pg);
        return;
    }
#endif
    queries_portable(out, q, G, k0, v0, n0, k, v, ks, gs, n, first, wrap, C, NH, slope, p, ps,
                     pg);
}
