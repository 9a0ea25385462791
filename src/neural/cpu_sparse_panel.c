/* The sparse attention patterns' training kernels (the CPU tables'
 * sparse_attention_forward and _backward; the math of cpu_sparse_attn.c,
 * whose per-query kernels remain the one-query step's and the fallback
 * here).  Per query the pattern has few keys (logsparse at W = 1024: 15)
 * and a head few dimensions (d=64, 4 heads: 16), so the per-query form
 * spends its time in 16-float dot products and their horizontal sums.
 * Here each batch has its queries, keys and values (every head at once,
 * the rows of qkv read whole) transposed into panels of T positions, one
 * per dimension: Q_i(t) = q_t[i] and so on, and every sum becomes
 * a sum of panel rows shifted by the pattern's offsets d_m, along the
 * positions t:
 *
 *   S_m(t) = sc sum_i Q_i(t) K_i(t - d_m) - slope d_m        (t >= d_m)
 *   P(t) = softmax over the m with d_m <= t  (P_m(t) = 0 for t < d_m)
 *   O_i(t) = sum_m P_m(t) V_i(t - d_m)
 *
 * and backward (softmax backward as cpu_attention.c), the scatters onto
 * the keys written as gathers over the queries that see them:
 *
 *   dP_m(t) = sum_i dO_i(t) V_i(t - d_m)
 *   dS_m(t) = sc P_m(t) (dP_m(t) - sum_m' P_m'(t) dP_m'(t))
 *   dQ_i(t) = sum_m dS_m(t) K_i(t - d_m)
 *   dK_i(j) = sum_m dS_m(j + d_m) Q_i(j + d_m)
 *   dV_i(j) = sum_m P_m(j + d_m) dO_i(j + d_m).
 *
 * Panel rows carry zeros for a span of positions before 0 and after T,
 * so every sum runs over whole blocks of 32 positions, in vector
 * registers, without a test per entry (the zeros of P and dS outside the
 * pattern make the extra terms vanish exactly).  Each entry sums its
 * terms in a fixed order (i, or m, ascending) whatever the vector width:
 * the AVX2 clone and the portable code give the same bits, and repeated
 * runs do.  The probabilities go out (and come back) as the op's
 * (B,NH,T,N) rows.  Scratch: one batch's panels, allocated per call
 * ((4 C + N + 2) rows forward, (7 C + 2 N + 1) backward, of T + 2 max(d)
 * floats: 2.3 and 4.0 MB at d=64, W = T = 1024, logsparse); without it
 * (out of memory) the per-query kernels run, which allocate nothing.
 * Measured (docs/neural.md, "Attention patterns"): a training step of
 * transformer(context=1024, pattern=logsparse) spent 45 of its 132 ms in
 * the per-query kernels, 17 ms here, half of it the transposes (memory). */
#include <stdlib.h>
#include <string.h>
#include "cpu_ops.h"

#define MAXN 4096 /* the largest window (transformer context) */
#define TB 32     /* positions per block: four 8-float vectors */

/* 8 floats as one vector (GCC/clang vector extension, as cpu_sparse.c);
 * loads and stores through memcpy (no alignment) */
typedef float v8 __attribute__((vector_size(8 * sizeof(float))));

/* A block of TB = 32 sums in four vectors, named so that they stay in
 * registers: BLK_FMA adds x (TB) * y (TB), BLK_STORE writes them out. */
#define BLK_ZERO v8 a0_ = {0}, a1_ = {0}, a2_ = {0}, a3_ = {0}
#define BLK_FMA1(acc, x, y)                                                                   \
    do {                                                                                      \
        v8 u_, w_;                                                                            \
        memcpy(&u_, (x), sizeof u_);                                                          \
        memcpy(&w_, (y), sizeof w_);                                                          \
        acc += u_ * w_;                                                                       \
    } while (0)
#define BLK_FMA(x, y)                                                                         \
    do {                                                                                      \
        const float *x_ = (x), *y_ = (y);                                                     \
        BLK_FMA1(a0_, x_, y_);                                                                \
        BLK_FMA1(a1_, x_ + 8, y_ + 8);                                                        \
        BLK_FMA1(a2_, x_ + 16, y_ + 16);                                                      \
        BLK_FMA1(a3_, x_ + 24, y_ + 24);                                                      \
    } while (0)
#define BLK_STORE(dst)                                                                        \
    do {                                                                                      \
        float *d_ = (dst);                                                                    \
        memcpy(d_, &a0_, sizeof a0_);                                                         \
        memcpy(d_ + 8, &a1_, sizeof a1_);                                                     \
        memcpy(d_ + 16, &a2_, sizeof a2_);                                                    \
        memcpy(d_ + 24, &a3_, sizeof a3_);                                                    \
    } while (0)

/* Geometry of one (batch, head)'s panels: rows of ld floats, position t
 * of a row at [F + t] for -F <= t < Tp + F, Tp = T rounded up to TB. */
typedef struct {
    size_t T, Tp, F, ld;
} geom;

static geom geometry(size_t T, size_t maxd)
{
    geom g;
    g.T = T;
    g.Tp = (T + TB - 1) / TB * TB;
    g.F = (maxd + TB - 1) / TB * TB;
    g.ld = 2 * g.F + g.Tp;
    if (g.ld % 512 == 0) g.ld += TB; /* rows 2 KB apart would share L1 sets */
    return g;
}

/* 8 x 8 transposes: r[u] (row u) -> c[j] (column j), by three rounds
 * of two-vector shuffles (interleave pairs, then pairs of pairs, then
 * halves); a scalar loop where the compiler lacks __builtin_shufflevector. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define HAVE_SHUFFLE 1
#endif
#endif

static inline void tr8(v8 *c, const v8 *r)
{
#ifdef HAVE_SHUFFLE
    v8 t[8], u[8];
    for (int k = 0; k < 8; k += 2) {
        t[k] = __builtin_shufflevector(r[k], r[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[k + 1] = __builtin_shufflevector(r[k], r[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int k = 0; k < 8; k += 4)
        for (int e = 0; e < 2; e++) {
            u[k + 2 * e] = __builtin_shufflevector(t[k + e], t[k + e + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[k + 2 * e + 1] =
                __builtin_shufflevector(t[k + e], t[k + e + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (int j = 0; j < 4; j++) {
        c[j] = __builtin_shufflevector(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        c[j + 4] = __builtin_shufflevector(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
#else
    for (int j = 0; j < 8; j++)
        for (int u = 0; u < 8; u++) c[j][u] = r[u][j];
#endif
}

/* T rows of nc floats, rows rs apart -> rows 0..nc-1 of the panels p
 * (rows ld apart, at position 0), in 8 x 8 tiles */
TSF_SIMD_CLONES
static void panel_in(float *p, const float *src, size_t rs, size_t nc, size_t T, size_t ld)
{
    size_t t = 0;
    for (; t + 8 <= T; t += 8) {
        size_t c = 0;
        for (; c + 8 <= nc; c += 8) {
            v8 r[8], o[8];
            for (int u = 0; u < 8; u++) memcpy(&r[u], src + (t + u) * rs + c, sizeof r[u]);
            tr8(o, r);
            for (int j = 0; j < 8; j++) memcpy(p + (c + j) * ld + t, &o[j], sizeof o[j]);
        }
        for (; c < nc; c++)
            for (size_t u = 0; u < 8; u++) p[c * ld + t + u] = src[(t + u) * rs + c];
    }
    for (; t < T; t++)
        for (size_t c = 0; c < nc; c++) p[c * ld + t] = src[t * rs + c];
}

/* rows 0..nc-1 of the panels p (rows ld apart) -> T rows of nc floats,
 * rows rs apart (+= when add), in 8 x 8 tiles */
TSF_SIMD_CLONES
static void panel_out(float *dst, const float *p, size_t rs, size_t nc, size_t T, size_t ld,
                      int add)
{
    size_t t = 0;
    for (; t + 8 <= T; t += 8) {
        size_t c = 0;
        for (; c + 8 <= nc; c += 8) {
            v8 r[8], o[8];
            for (int j = 0; j < 8; j++) memcpy(&r[j], p + (c + j) * ld + t, sizeof r[j]);
            tr8(o, r);
            for (int u = 0; u < 8; u++) {
                float *d = dst + (t + u) * rs + c;
                if (add) {
                    v8 x;
                    memcpy(&x, d, sizeof x);
                    o[u] += x;
                }
                memcpy(d, &o[u], sizeof o[u]);
            }
        }
        for (; c < nc; c++)
            for (size_t u = 0; u < 8; u++) {
                float *d = dst + (t + u) * rs + c;
                *d = add ? *d + p[c * ld + t + u] : p[c * ld + t + u];
            }
    }
    for (; t < T; t++)
        for (size_t c = 0; c < nc; c++) {
            float *d = dst + t * rs + c;
            *d = add ? *d + p[c * ld + t] : p[c * ld + t];
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

/* The largest offset below T of any head. */
static size_t max_offset(const tsf_nn_pattern *p, size_t NH, size_t T)
{
    int offs[MAXN];
    size_t mx = 0;
    for (size_t h = 0; h < NH; h++) {
        size_t n = offsets(p, h, NH, T, offs);
        if ((size_t)offs[n - 1] > mx) mx = (size_t)offs[n - 1];
    }
    return mx;
}

/* Row m of S (n rows) := sum_i A_i(t) B_i(t - d_m) over the blocks from
 * the one holding d_m (Q.K, or dO.V); the rest of the row untouched. */
TSF_SIMD_CLONES
static void products(float *S, const float *A, const float *Bp, const int *offs, size_t n,
                     size_t hs, const geom *g)
{
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        for (size_t t = d / TB * TB; t < g->Tp; t += TB) {
            BLK_ZERO;
            for (size_t i = 0; i < hs; i++) BLK_FMA(A + i * g->ld + t, Bp + i * g->ld + t - d);
            BLK_STORE(S + m * g->ld + t);
        }
    }
}

/* Row i of O (rows) := the sums over the pattern's offsets
 *   back (fwd 0):  sum_m X_m(t) Y_i(t - d_m)        (O = P V, dQ = dS K)
 *   fwd (fwd 1):   sum_m X_m(t + d_m) Y_i(t + d_m)  (dK = dS^T Q, dV = P^T dO)
 * X_m is zero below d_m and from T on: only the m with d_m < t + TB (back)
 * or t + d_m < T (fwd) add to the block of t. */
TSF_SIMD_CLONES
static void gather(float *O, const float *X, const float *Y, const int *offs, size_t n,
                   size_t rows, int fwd, const geom *g)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t t = 0; t < g->Tp; t += TB) {
            BLK_ZERO;
            for (size_t m = 0; m < n; m++) {
                size_t d = (size_t)offs[m];
                if (fwd ? t + d >= g->T : d >= t + TB) break;
                const float *y = Y + i * g->ld + t;
                BLK_FMA(X + m * g->ld + t + (fwd ? d : 0), fwd ? y + d : y - d);
            }
            BLK_STORE(O + i * g->ld + t);
        }
}

/* One (batch, head): panels q, k, v -> o, S (n rows) the probabilities
 * (zero outside d_m <= t < T); mx, sum (Tp) scratch. */
TSF_SIMD_CLONES
static void head_forward(float *o, float *S, float *mx, float *sum, const float *q,
                         const float *k, const float *v, const int *offs, size_t n, size_t hs,
                         float sc, float slope, const geom *g)
{
    size_t T = g->T, ld = g->ld;
    products(S, q, k, offs, n, hs, g);
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        float *r = S + m * ld, bias = slope * (float)d;
#pragma omp simd
        for (size_t t = d; t < T; t++) r[t] = r[t] * sc - bias;
    }
    memcpy(mx, S, T * sizeof *mx); /* d_0 = 0: every t has it */
    for (size_t m = 1; m < n; m++) {
        const float *r = S + m * ld;
#pragma omp simd
        for (size_t t = (size_t)offs[m]; t < T; t++) mx[t] = r[t] > mx[t] ? r[t] : mx[t];
    }
    memset(sum, 0, T * sizeof *sum);
    for (size_t m = 0; m < n; m++) {
        float *r = S + m * ld;
#pragma omp simd
        for (size_t t = (size_t)offs[m]; t < T; t++) {
            r[t] = tsf_expf(r[t] - mx[t]);
            sum[t] += r[t];
        }
    }
#pragma omp simd
    for (size_t t = 0; t < T; t++) sum[t] = 1.0f / sum[t];
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m];
        float *r = S + m * ld;
#pragma omp simd
        for (size_t t = d; t < T; t++) r[t] *= sum[t];
        memset(r, 0, d * sizeof *r);
        memset(r + T, 0, (g->Tp - T) * sizeof *r);
    }
    gather(o, S, v, offs, n, hs, 0, g);
}

/* Scratch: rows panels of ld floats, their margins (before position 0
 * and from T on) zeroed; the kernels write rows on [0, Tp) only, and
 * zero [T, Tp) again where they do (S). */
static float *panels(size_t rows, const geom *g, float **row0)
{
    float *w = malloc(rows * g->ld * sizeof *w);
    *row0 = w ? w + g->F : NULL;
    for (size_t r = 0; w && r < rows; r++) {
        memset(w + r * g->ld, 0, g->F * sizeof *w);
        memset(w + r * g->ld + g->F + g->T, 0, (g->ld - g->F - g->T) * sizeof *w);
    }
    return w;
}

// qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,N)
void tsf_cpu_sparse_attention_forward_panel(float *out, float *att, const float *qkv, size_t B,
                                            size_t T, size_t C, size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH, N = (size_t)tsf_pat_width(&p, (int)NH);
    geom g = geometry(T, T ? max_offset(&p, NH, T) : 0);
    /* one batch's panels: q, k, v of every head (3C rows), o (C rows),
     * then one head's S (N rows), mx and sum */
    float *X, *w = T ? panels(4 * C + N + 2, &g, &X) : NULL;
    if (!w) {
        tsf_cpu_sparse_attention_forward(out, att, qkv, B, T, C, NH, p);
        return;
    }
    size_t ld = g.ld;
    float *o = X + 3 * C * ld, *S = o + C * ld, *mx = S + N * ld, *sum = mx + ld;
    float sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t b = 0; b < B; b++) {
        panel_in(X, qkv + b * T * 3 * C, 3 * C, 3 * C, T, ld);
        for (size_t h = 0; h < NH; h++) {
            size_t n = offsets(&p, h, NH, T, offs), r = h * hs;
            head_forward(o + r * ld, S, mx, sum, X + r * ld, X + (C + r) * ld,
                         X + (2 * C + r) * ld, offs, n, hs, sc, tsf_cpu_alibi_slope(h, NH), &g);
            float *a = att + (b * NH + h) * T * N;
            panel_out(a, S, N, n, T, ld, 0);
            for (size_t t = 0; n < N && t < T; t++) memset(a + t * N + n, 0, (N - n) * sizeof *a);
        }
        panel_out(out + b * T * C, o, C, C, T, ld, 0);
    }
    free(w);
}

/* One (batch, head): panels q, k, v, dout, P (n rows, zero outside
 * d_m <= t < T) -> dq, dk, dv; D (n rows), s (Tp) scratch. */
TSF_SIMD_CLONES
static void head_backward(float *dq, float *dk, float *dv, float *D, float *s, const float *q,
                          const float *k, const float *v, const float *dout, const float *P,
                          const int *offs, size_t n, size_t hs, float sc, const geom *g)
{
    size_t Tp = g->Tp, ld = g->ld;
    products(D, dout, v, offs, n, hs, g); /* dP, from the block of d_m on */
    for (size_t t = 0; t < Tp; t += TB) {
        BLK_ZERO;
        for (size_t m = 0; m < n && (size_t)offs[m] < t + TB; m++)
            BLK_FMA(P + m * ld + t, D + m * ld + t);
        BLK_STORE(s + t);
    }
    for (size_t m = 0; m < n; m++) {
        size_t d = (size_t)offs[m], t0 = d / TB * TB;
        const float *pm = P + m * ld;
        float *r = D + m * ld;
#pragma omp simd
        for (size_t t = t0; t < Tp; t++) r[t] = pm[t] * (r[t] - s[t]) * sc;
        memset(r, 0, t0 * sizeof *r); /* dS = 0 where P is */
    }
    gather(dq, D, k, offs, n, hs, 0, g);
    gather(dk, D, q, offs, n, hs, 1, g);
    gather(dv, P, dout, offs, n, hs, 1, g);
}

// dout (B,T,C) -> dqkv (B,T,3C) +=; datt (B,NH,T,N) scratch
void tsf_cpu_sparse_attention_backward_panel(float *dqkv, float *datt, const float *dout,
                                             const float *qkv, const float *att, size_t B,
                                             size_t T, size_t C, size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH, N = (size_t)tsf_pat_width(&p, (int)NH);
    geom g = geometry(T, T ? max_offset(&p, NH, T) : 0);
    /* one batch's panels: q, k, v (3C rows), dout (C), dq, dk, dv (3C),
     * then one head's P and D (N rows each) and s */
    float *X, *w = T ? panels(7 * C + 2 * N + 1, &g, &X) : NULL;
    if (!w) {
        tsf_cpu_sparse_attention_backward(dqkv, datt, dout, qkv, att, B, T, C, NH, p);
        return;
    }
    size_t ld = g.ld;
    float *d = X + 3 * C * ld, *G = d + C * ld, *P = G + 3 * C * ld, *D = P + N * ld;
    float *s = D + N * ld, sc = 1.0f / sqrtf((float)hs);
    int offs[MAXN];
    for (size_t b = 0; b < B; b++) {
        panel_in(X, qkv + b * T * 3 * C, 3 * C, 3 * C, T, ld);
        panel_in(d, dout + b * T * C, C, C, T, ld);
        for (size_t h = 0; h < NH; h++) {
            size_t n = offsets(&p, h, NH, T, offs), r = h * hs;
            const float *a = att + (b * NH + h) * T * N;
            panel_in(P, a, N, n, T, ld);
            for (size_t m = 0; m < n; m++) memset(P + m * ld, 0, (size_t)offs[m] * sizeof *P);
            head_backward(G + r * ld, G + (C + r) * ld, G + (2 * C + r) * ld, D, s, X + r * ld,
                          X + (C + r) * ld, X + (2 * C + r) * ld, d + r * ld, P, offs, n, hs,
                          sc, &g);
        }
        panel_out(dqkv + b * T * 3 * C, G, 3 * C, 3 * C, T, ld, 1);
    }
    (void)datt;
    free(w);
}
