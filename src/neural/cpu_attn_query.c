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
 * columns at a time in registers.  Several paths' queries (up to GC of
 * them) run against each block of keys or values while the block is in
 * L1: with the shared prefix of a forecast the history's rows are read
 * from memory once per block for GC paths, not once per path.  With
 * AVX-512 (the same FMAs lane for lane, so the same bits as AVX2) 4 paths
 * go through each loaded shared row in registers.  The portable form is
 * slow on x86 (its 8-float vectors spill from SSE's 16 registers): builds
 * without the AVX2 forms (clang, sanitizers) pay for that. */
#include <math.h>
#include <string.h>
#include "cpu_ops.h"

#define JB 8  /* keys of a score block (one vector of scores) */
#define VB 16 /* value rows of a block */
#define GC 24 /* paths of a group: queries and outputs in L1 (24 KB each) */

typedef float v8 __attribute__((vector_size(8 * sizeof(float))));
typedef int32_t v8i __attribute__((vector_size(8 * sizeof(int32_t))));

/* The rows of keys j0 .. j0 + nb - 1: key j < n0 in row j of k0 (C floats
 * apart), later ones in the ring k from *slot (rows ks apart, wrapping at
 * wrap; 0: no ring), ring[r] = 1 for those (a path's own rows are further
 * on); rows past nb repeat row 0.  A block holds at most nmax keys and
 * never both kinds (nb stops at n0), so that blocks of shared rows can be
 * run for several paths at once. */
static size_t rows(const float **kr, size_t *ring, const float *k0, const float *k, size_t ks,
                   size_t n0, size_t j0, size_t nt, size_t nmax, size_t C, size_t *slot,
                   size_t wrap)
{
    size_t end = j0 < n0 ? n0 : nt, nb = end - j0 < nmax ? end - j0 : nmax;
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

static inline float tree1(const v8 *a)
{
    float l[8];
    memcpy(l, a, sizeof l);
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/* tsf_expf (cpu_ops.h) on 8 lanes: the same operations lane by lane (and
 * on 16, exp16, the AVX-512 softmax's: the same code on a wider type) */
#define EXPN(name, v8, v8i)                                                                   \
    static inline __attribute__((always_inline)) void name(v8 *xp)                                \
    {                                                                                         \
        v8 x = *xp;                                                                           \
        v8i u, lim = {0}, sign = {0};                                                         \
        lim += 0x42AE0000; /* 87.0f */                                                        \
        sign += INT32_MIN;                                                                    \
        memcpy(&u, &x, sizeof u);                                                             \
        v8i a = u & INT32_MAX, big = a > lim;                                                 \
        a = (a & ~big) | (lim & big);                                                         \
        u = (u & sign) | a;                                                                   \
        memcpy(&x, &u, sizeof x);                                                             \
        v8 n = (x * 1.44269504f + 12582912.0f) - 12582912.0f;                                 \
        v8 r = x - n * 0.693145751953125f - n * 1.428606765330187e-6f;                        \
        v8 p = 1.0f + r * (1.0f + r * (0.5f + r * (1.6666667e-1f + r * (4.1666668e-2f +       \
                                                 r * (8.3333338e-3f + r * 1.3888889e-3f))))); \
        v8i e = (__builtin_convertvector(n, v8i) + 127) * (1 << 23);                          \
        v8 f;                                                                                 \
        memcpy(&f, &e, sizeof f);                                                             \
        *xp = p * f;                                                                          \
    }
EXPN(exp8, v8, v8i)

/* p[j..n) := exp(p - mx), 8 at a time, added to the 8 lane sums (key j in
 * lane j mod 8), zeros in the lanes past n */
static inline __attribute__((always_inline)) void exps(float *p, size_t j, size_t n, float mx,
                                                       v8 *sum)
{
    v8 x;
    for (; j + 8 <= n; j += 8) {
        memcpy(&x, p + j, sizeof x);
        x -= mx;
        exp8(&x);
        memcpy(p + j, &x, sizeof x);
        *sum += x;
    }
    if (j < n) {
        float b[8] = {0};
        memcpy(b, p + j, (n - j) * sizeof *b);
        memcpy(&x, b, sizeof x);
        x -= mx;
        exp8(&x);
        memcpy(b, &x, sizeof x);
        for (size_t r = n - j; r < 8; r++) b[r] = 0.0f;
        memcpy(p + j, b, (n - j) * sizeof *b);
        memcpy(&x, b, sizeof x);
        *sum += x;
    }
}

/* p (n >= 1) := softmax(p) as defined above; the maximum 8 lanes at a
 * time (exact in any order) */
static inline __attribute__((always_inline)) void softmax(float *p, size_t n)
{
    v8 m = {0}, x;
    m += -INFINITY;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        memcpy(&x, p + j, sizeof x);
        v8i gt = x > m, xi, mi;
        memcpy(&xi, &x, sizeof xi);
        memcpy(&mi, &m, sizeof mi);
        mi = (xi & gt) | (mi & ~gt);
        memcpy(&m, &mi, sizeof m);
    }
    float l[8], mx;
    memcpy(l, &m, sizeof l);
    mx = l[0];
    for (size_t r = 1; r < 8; r++) mx = l[r] > mx ? l[r] : mx;
    for (; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    v8 sum = {0};
    exps(p, 0, n, mx, &sum);
    float inv = 1.0f / tree1(&sum);
    for (j = 0; j + 8 <= n; j += 8) {
        memcpy(&x, p + j, sizeof x);
        x *= inv;
        memcpy(p + j, &x, sizeof x);
    }
    for (; j < n; j++) p[j] *= inv;
}

/* Portable: multiply then add (-std=c11 keeps the compiler from fusing
 * them); loads of m < 8 floats padded with zeros through a buffer of the
 * calling function (one load per statement).  Macros, not functions: an
 * 8-float vector passed by value without AVX draws GCC's ABI note. */
typedef float v8u __attribute__((vector_size(8 * sizeof(float)), aligned(4), may_alias));
static inline const float *padded(const float *p, size_t m, float *buf)
{
    if (m == 8) return p;
    memset(buf, 0, 8 * sizeof *buf);
    memcpy(buf, p, m * sizeof *buf);
    return buf;
}

#define FN(name) name##_portable
#define TARGET
#define SOFTMAX softmax
#define MADD(a, b, c) ((a) * (b) + (c))
#define LOADN(p, m) (*(const v8u *)padded((p), (m), pad_))
#define PAD_DECL float pad_[8];
#define STOREN(p, v, m) memcpy((p), &(v), (m) * sizeof(float))
#define BCAST(x) ((v8){0} + (x))
#define TREE8(a0, a1, a2, a3, a4, a5, a6, a7)                                                 \
    ((v8){tree1(&(a0)), tree1(&(a1)), tree1(&(a2)), tree1(&(a3)), tree1(&(a4)), tree1(&(a5)), \
          tree1(&(a6)), tree1(&(a7))})
#include "cpu_attn_query_body.h"
#undef MADD
#undef LOADN
#undef PAD_DECL
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

/* the arithmetic of both AVX forms */
#define MADD(a, b, c) ((v8)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#define LOADN loadn_avx
#define PAD_DECL
#define STOREN storen_avx
#define BCAST(x) ((v8)_mm256_set1_ps(x))
#define TREE8 tree8_avx

#define FN(name) name##_fma
#define TARGET __attribute__((target("avx2,fma")))
#define SOFTMAX softmax
#include "cpu_attn_query_body.h"
#endif

#if TSF_CPU_X86_FMA
/* 64 columns (from o) of 4 paths' sums (rows ds apart from d, their
 * probabilities rows pg apart from p) over nb rows that all 4 read: each
 * row loaded once for the 4 */
__attribute__((target("avx512f,avx2,fma"))) static void values4(float *d, size_t ds,
                                                                const float *p, size_t pg,
                                                                const float *const *vr, size_t nb,
                                                                size_t o, int first)
{
    __m512 z = _mm512_setzero_ps();
    __m512 a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
    __m512 a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
    float *d1 = d + ds, *d2 = d + 2 * ds, *d3 = d + 3 * ds;
    if (!first) {
        a00 = _mm512_loadu_ps(d); a01 = _mm512_loadu_ps(d + 16);
        a02 = _mm512_loadu_ps(d + 32); a03 = _mm512_loadu_ps(d + 48);
        a10 = _mm512_loadu_ps(d1); a11 = _mm512_loadu_ps(d1 + 16);
        a12 = _mm512_loadu_ps(d1 + 32); a13 = _mm512_loadu_ps(d1 + 48);
        a20 = _mm512_loadu_ps(d2); a21 = _mm512_loadu_ps(d2 + 16);
        a22 = _mm512_loadu_ps(d2 + 32); a23 = _mm512_loadu_ps(d2 + 48);
        a30 = _mm512_loadu_ps(d3); a31 = _mm512_loadu_ps(d3 + 16);
        a32 = _mm512_loadu_ps(d3 + 32); a33 = _mm512_loadu_ps(d3 + 48);
    }
    const float *p1 = p + pg, *p2 = p + 2 * pg, *p3 = p + 3 * pg;
    for (size_t r = 0; r < nb; r++) {
        const float *v = vr[r] + o;
        __m512 x0 = _mm512_loadu_ps(v), x1 = _mm512_loadu_ps(v + 16);
        __m512 x2 = _mm512_loadu_ps(v + 32), x3 = _mm512_loadu_ps(v + 48);
        __m512 b0 = _mm512_set1_ps(p[r]), b1 = _mm512_set1_ps(p1[r]);
        __m512 b2 = _mm512_set1_ps(p2[r]), b3 = _mm512_set1_ps(p3[r]);
        a00 = _mm512_fmadd_ps(b0, x0, a00); a01 = _mm512_fmadd_ps(b0, x1, a01);
        a02 = _mm512_fmadd_ps(b0, x2, a02); a03 = _mm512_fmadd_ps(b0, x3, a03);
        a10 = _mm512_fmadd_ps(b1, x0, a10); a11 = _mm512_fmadd_ps(b1, x1, a11);
        a12 = _mm512_fmadd_ps(b1, x2, a12); a13 = _mm512_fmadd_ps(b1, x3, a13);
        a20 = _mm512_fmadd_ps(b2, x0, a20); a21 = _mm512_fmadd_ps(b2, x1, a21);
        a22 = _mm512_fmadd_ps(b2, x2, a22); a23 = _mm512_fmadd_ps(b2, x3, a23);
        a30 = _mm512_fmadd_ps(b3, x0, a30); a31 = _mm512_fmadd_ps(b3, x1, a31);
        a32 = _mm512_fmadd_ps(b3, x2, a32); a33 = _mm512_fmadd_ps(b3, x3, a33);
    }
    _mm512_storeu_ps(d, a00); _mm512_storeu_ps(d + 16, a01);
    _mm512_storeu_ps(d + 32, a02); _mm512_storeu_ps(d + 48, a03);
    _mm512_storeu_ps(d1, a10); _mm512_storeu_ps(d1 + 16, a11);
    _mm512_storeu_ps(d1 + 32, a12); _mm512_storeu_ps(d1 + 48, a13);
    _mm512_storeu_ps(d2, a20); _mm512_storeu_ps(d2 + 16, a21);
    _mm512_storeu_ps(d2 + 32, a22); _mm512_storeu_ps(d2 + 48, a23);
    _mm512_storeu_ps(d3, a30); _mm512_storeu_ps(d3 + 16, a31);
    _mm512_storeu_ps(d3 + 32, a32); _mm512_storeu_ps(d3 + 48, a33);
}

/* [lo | hi] of two 8-float rows, and the halves of a 16-float register
 * (AVX-512F forms of the 256-bit inserts and extracts) */
#define PAIR(lo, hi)                                                                          \
    _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)),          \
                                        _mm256_castps_pd(hi), 1))
#define LO(a) ((v8)_mm512_castps512_ps256(a))
#define HI(a) ((v8)_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)))
#define BC8(p) _mm512_castpd_ps(_mm512_broadcast_f64x4(_mm256_castps_pd(_mm256_loadu_ps(p))))

/* tree8_avx on both halves at once: [tree8_avx of the a's low halves |
 * of their high halves].  hadd2 is _mm256_hadd_ps in each half (within
 * each 128-bit lane: a0 + a1, a2 + a3, b0 + b1, b2 + b3); then the two
 * 128-bit lanes of each half are added, low + high, as tree8_avx does. */
__attribute__((target("avx512f,avx2,fma"))) static inline __m512 hadd2(__m512 a, __m512 b)
{
    return _mm512_add_ps(_mm512_shuffle_ps(a, b, 0x88), _mm512_shuffle_ps(a, b, 0xDD));
}
__attribute__((target("avx512f,avx2,fma"))) static inline __m512 tree8x2(
    __m512 a0, __m512 a1, __m512 a2, __m512 a3, __m512 a4, __m512 a5, __m512 a6, __m512 a7)
{
    __m512 x = hadd2(hadd2(a0, a1), hadd2(a2, a3)), y = hadd2(hadd2(a4, a5), hadd2(a6, a7));
    /* 128-bit lanes: x = [lo0 lo1 | hi0 hi1] sums of keys 0-3, y of 4-7 */
    __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(x, y, 0x88), _mm512_shuffle_f32x4(x, y, 0xDD));
    /* s = [lo 0-3, hi 0-3, lo 4-7, hi 4-7] -> [lo 0-7 | hi 0-7] */
    return _mm512_shuffle_f32x4(s, s, 0xD8);
}

/* The scores of a block of 8 shared keys for 4 paths at a time: paths
 * (g, g + 1) in the two halves of a 16-float register against the key's
 * 8 columns in both halves, so that each half holds one path's 8 lanes of
 * the definition, the same FMAs in the same order; the halves then go
 * through tree8_avx's tree (tree8x2).  Returns the number of paths done (a multiple of 4;
 * 0 unless every row of the block is shared and hs a multiple of 8). */
__attribute__((target("avx512f,avx2,fma"))) static size_t scores4(
    float *p, size_t pg, size_t ps, const float *q, size_t G, size_t C,
    const float *const *kr, const size_t *ring, size_t nb, size_t hs, size_t NH, float sc,
    const float *slope, const float *d)
{
    if (hs % 8) return 0;
    v8 dist = (v8)_mm256_loadu_ps(d);
    for (size_t r = 0; r < JB; r++)
        if (ring[r]) return 0;
    const float *k0 = kr[0], *k1 = kr[1], *k2 = kr[2], *k3 = kr[3], *k4 = kr[4], *k5 = kr[5],
                *k6 = kr[6], *k7 = kr[7];
    size_t g = 0;
    for (; g + 4 <= G; g += 4)
        for (size_t h = 0; h < NH; h++) {
            __m512 z = _mm512_setzero_ps();
            __m512 a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
            __m512 b0 = z, b1 = z, b2 = z, b3 = z, b4 = z, b5 = z, b6 = z, b7 = z;
            const float *q0 = q + g * C, *q1 = q0 + C, *q2 = q1 + C, *q3 = q2 + C;
            for (size_t o = h * hs, e = o + hs; o < e; o += 8) {
                __m512 qa = PAIR(_mm256_loadu_ps(q0 + o), _mm256_loadu_ps(q1 + o));
                __m512 qb = PAIR(_mm256_loadu_ps(q2 + o), _mm256_loadu_ps(q3 + o));
                __m512 x;
#define KEY(r)                                                                                \
    x = BC8(k##r + o);                                                                        \
    a##r = _mm512_fmadd_ps(qa, x, a##r);                                                      \
    b##r = _mm512_fmadd_ps(qb, x, b##r);
                KEY(0) KEY(1) KEY(2) KEY(3) KEY(4) KEY(5) KEY(6) KEY(7)
#undef KEY
            }
            __m512 ta = tree8x2(a0, a1, a2, a3, a4, a5, a6, a7);
            __m512 tb = tree8x2(b0, b1, b2, b3, b4, b5, b6, b7);
            v8 s[4] = {LO(ta), HI(ta), LO(tb), HI(tb)};
            for (size_t i = 0; i < 4; i++)
                storen_avx(p + (g + i) * pg + h * ps, s[i] * sc - slope[h] * dist, nb);
        }
    return g;
}

typedef float v16 __attribute__((vector_size(16 * sizeof(float))));
typedef int32_t v16i __attribute__((vector_size(16 * sizeof(int32_t))));
EXPN(exp16, v16, v16i)

/* softmax() 16 keys at a time: the maximum (exact in any order), the
 * exps (elementwise), their sum in softmax()'s 8 lanes and order (the
 * first 8 keys of 16, then the next 8) and the scaling */
__attribute__((target("avx512f,avx2,fma"))) static void softmax16(float *p, size_t n)
{
    size_t j = 0, n16 = n / 16 * 16;
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (; j < n16; j += 16) m = _mm512_max_ps(_mm512_loadu_ps(p + j), m);
    float mx = _mm512_reduce_max_ps(m);
    for (; j < n; j++) mx = p[j] > mx ? p[j] : mx;
    v8 sum = {0};
    v16 y;
    for (j = 0; j < n16; j += 16) {
        memcpy(&y, p + j, sizeof y);
        y -= mx;
        exp16(&y);
        memcpy(p + j, &y, sizeof y);
        sum += (v8)_mm512_castps512_ps256((__m512)y);
        sum += (v8)_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd((__m512)y), 1));
    }
    exps(p, j, n, mx, &sum);
    __m512 inv = _mm512_set1_ps(1.0f / tree1(&sum));
    for (j = 0; j < n16; j += 16) _mm512_storeu_ps(p + j, _mm512_mul_ps(_mm512_loadu_ps(p + j), inv));
    float iv = 1.0f / tree1(&sum);
    for (; j < n; j++) p[j] *= iv;
}

/* With AVX-512: a block's weighted sums for two (path, head) pairs at a
 * time, 64 columns of each in 4 + 4 registers: 16-float FMAs, lane by
 * lane the same fused multiply-adds in the same order as the 8-float
 * ones (the arithmetic above), so the same bits.  Heads of 64k columns;
 * others go the 8-float way. */
__attribute__((target("avx512f,avx2,fma"))) static int values512(
    float *out, const float *p, const float *const *vr, const size_t *ring, size_t nb, size_t G,
    size_t NH, size_t hs, size_t gs, size_t C, size_t pg, size_t ps, int first)
{
    if (hs % 64) return 0;
    size_t U = G * NH, g4 = 0, shared = 1;
    for (size_t r = 0; r < nb; r++) shared &= ring[r] == 0;
    if (shared) /* rows of the shared prefix: 4 paths per loaded row */
        for (; g4 + 4 <= G; g4 += 4)
            for (size_t h = 0; h < NH; h++)
                for (size_t c0 = 0; c0 < hs; c0 += 64)
                    values4(out + g4 * C + h * hs + c0, C, p + g4 * pg + h * ps, pg, vr, nb,
                            h * hs + c0, first);
    for (size_t u = g4 * NH; u < U; u += 2) {
        /* an odd last pair is one pair twice: the same sums stored twice */
        size_t ub = u + 1 < U ? u + 1 : u, ga = u / NH, gb = ub / NH;
        size_t oa = u % NH * hs, ob = ub % NH * hs;
        const float *pa = p + ga * pg + u % NH * ps, *pb = p + gb * pg + ub % NH * ps;
        for (size_t c0 = 0; c0 < hs; c0 += 64) {
            float *da = out + ga * C + oa + c0, *db = out + gb * C + ob + c0;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            __m512 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            if (!first) {
                a0 = _mm512_loadu_ps(da); a1 = _mm512_loadu_ps(da + 16);
                a2 = _mm512_loadu_ps(da + 32); a3 = _mm512_loadu_ps(da + 48);
                b0 = _mm512_loadu_ps(db); b1 = _mm512_loadu_ps(db + 16);
                b2 = _mm512_loadu_ps(db + 32); b3 = _mm512_loadu_ps(db + 48);
            }
            for (size_t r = 0; r < nb; r++) {
                const float *va = vr[r] + ring[r] * ga * gs + oa + c0;
                const float *vb = vr[r] + ring[r] * gb * gs + ob + c0;
                __m512 xa = _mm512_set1_ps(pa[r]), xb = _mm512_set1_ps(pb[r]);
                a0 = _mm512_fmadd_ps(xa, _mm512_loadu_ps(va), a0);
                a1 = _mm512_fmadd_ps(xa, _mm512_loadu_ps(va + 16), a1);
                a2 = _mm512_fmadd_ps(xa, _mm512_loadu_ps(va + 32), a2);
                a3 = _mm512_fmadd_ps(xa, _mm512_loadu_ps(va + 48), a3);
                b0 = _mm512_fmadd_ps(xb, _mm512_loadu_ps(vb), b0);
                b1 = _mm512_fmadd_ps(xb, _mm512_loadu_ps(vb + 16), b1);
                b2 = _mm512_fmadd_ps(xb, _mm512_loadu_ps(vb + 32), b2);
                b3 = _mm512_fmadd_ps(xb, _mm512_loadu_ps(vb + 48), b3);
            }
            _mm512_storeu_ps(da, a0); _mm512_storeu_ps(da + 16, a1);
            _mm512_storeu_ps(da + 32, a2); _mm512_storeu_ps(da + 48, a3);
            _mm512_storeu_ps(db, b0); _mm512_storeu_ps(db + 16, b1);
            _mm512_storeu_ps(db + 32, b2); _mm512_storeu_ps(db + 48, b3);
        }
    }
    return 1;
}

#define FN(name) name##_avx512
#define TARGET __attribute__((target("avx512f,avx2,fma")))
#define SOFTMAX softmax16
#define VALUES values512
#define SCORES4 scores4
#include "cpu_attn_query_body.h"
#endif

/* The implementation for level: 0 portable (multiply, add), 1 AVX2+FMA,
 * 2 AVX-512 with FMA (the same bits as 1); a level the CPU lacks falls
 * back to the one below. */
void tsf_cpu_attn_queries_at(int level, float *out, const float *q, size_t G, const float *k0,
                             const float *v0, size_t n0, const float *k, const float *v,
                             size_t ks, size_t gs, size_t n, size_t first, size_t wrap, size_t C,
                             size_t NH, const float *slope, float *p, size_t ps, size_t pg)
{
    void (*f)(float *, const float *, size_t, const float *, const float *, size_t,
              const float *, const float *, size_t, size_t, size_t, size_t, size_t, size_t,
              size_t, const float *, float *, size_t, size_t) = queries_portable;
#if TSF_CPU_X86_FMA
    if (level >= 1 && tsf_cpu_fma())
        f = level >= 2 && __builtin_cpu_supports("avx512f") ? queries_avx512 : queries_fma;
#endif
    (void)level;
    /* paths GC at a time: their queries and outputs stay in L1 while the
     * blocks of keys and values go by (the blocks are read G / GC times
     * from L2, not the paths' rows once per block) */
    for (size_t g0 = 0; g0 < G; g0 += GC) {
        size_t m = G - g0 < GC ? G - g0 : GC;
        f(out + g0 * C, q + g0 * C, m, k0, v0, n0, k + g0 * gs, v + g0 * gs, ks, gs, n, first,
          wrap, C, NH, slope, p + g0 * pg, ps, pg);
    }
}

void tsf_cpu_attn_queries(float *out, const float *q, size_t G, const float *k0, const float *v0,
                          size_t n0, const float *k, const float *v, size_t ks, size_t gs,
                          size_t n, size_t first, size_t wrap, size_t C, size_t NH,
                          const float *slope, float *p, size_t ps, size_t pg)
{
    tsf_cpu_attn_queries_at(2, out, q, G, k0, v0, n0, k, v, ks, gs, n, first, wrap, C, NH, slope,
                            p, ps, pg);
}
