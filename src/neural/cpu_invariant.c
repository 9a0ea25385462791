/* Batch-invariant inference kernels (docs/neural.md, "Sampling").
 *
 * The one-step update (tsf_nn_run_step: ancestral sampling, streaming)
 * and the parallel sampler's batched pass over every position of every
 * path must give the same bits for the same row, whatever the number of
 * rows M of the call.  A vendor GEMM does not promise that: OpenBLAS
 * blocks rows (a row's sum depends on M) and takes sgemv for one row.
 * The product here fixes each output element's arithmetic:
 *     out[i][o] = bias[o];  for k = 0 .. C-1:  out[i][o] += inp[i][k] w[o][k]
 * one rounding per term (a fused multiply-add where the CPU has FMA, a
 * multiply and an add otherwise: the same choice for every call of the
 * process, tsf_cpu_fma), so a row's result is the same for M = 1 and M =
 * 10^5.  It is vectorised over the outputs (16 columns of a transposed
 * weight panel at a time), blocked over rows only to share the panel's
 * loads: blocking never changes an element's order of summation.  The
 * block-sparse kernel of pruned weights (cpu_sparse.c) performs the same
 * arithmetic minus its zero terms, which leave a sum unchanged, so it
 * gives the same bits as this one.
 *
 * Only inference uses these (tsf_nn_infer_backend); training keeps the
 * BLAS/oneDNN GEMMs and the GEMM attention. */
#include <string.h>
#include "cpu_ops.h"

#define NC 16  /* output columns of a panel */
#define KC 256 /* inputs of a panel (a longer sum continues from the stored output) */

int tsf_cpu_fma(void)
{
#if TSF_CPU_X86_FMA
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* panel[k][j] = w[o0 + j][k0 + k] (zeros past OC): the weights of one
 * panel, transposed so that one load gives 8 outputs of one input */
static void pack(float *panel, const float *w, size_t C, size_t OC, size_t o0, size_t k0,
                 size_t nk)
{
    size_t nc = OC - o0 < NC ? OC - o0 : NC;
    memset(panel, 0, nk * NC * sizeof *panel);
    for (size_t j = 0; j < nc; j++) {
        const float *wr = w + (o0 + j) * C + k0;
        for (size_t k = 0; k < nk; k++) panel[k * NC + j] = wr[k];
    }
}

/* The start of a panel's sums for row r: the bias (first panel of the
 * inputs) or what the previous panels left in out. */
static void start(float *acc, const float *out, const float *bias, size_t o0, size_t nc,
                  int first)
{
    memset(acc, 0, NC * sizeof *acc);
    if (!first) memcpy(acc, out + o0, nc * sizeof *acc);
    else if (bias) memcpy(acc, bias + o0, nc * sizeof *acc);
}

/* Portable panel: 8-wide vectors (GCC/clang extension), multiply then add;
 * -std=c11 keeps the compiler from contracting them into an FMA. */
typedef float v8 __attribute__((vector_size(8 * sizeof(float))));

static void panel_rows(float *out, const float *inp, const float *panel, const float *bias,
                       size_t M, size_t C, size_t OC, size_t o0, size_t k0, size_t nk)
{
    size_t nc = OC - o0 < NC ? OC - o0 : NC;
    for (size_t i = 0; i < M; i++) {
        float a[NC];
        start(a, out + i * OC, bias, o0, nc, k0 == 0);
        v8 a0, a1;
        memcpy(&a0, a, sizeof a0);
        memcpy(&a1, a + 8, sizeof a1);
        const float *x = inp + i * C + k0;
        for (size_t k = 0; k < nk; k++) {
            v8 w0, w1;
            memcpy(&w0, panel + k * NC, sizeof w0);
            memcpy(&w1, panel + k * NC + 8, sizeof w1);
            a0 = a0 + x[k] * w0;
            a1 = a1 + x[k] * w1;
        }
        memcpy(a, &a0, sizeof a0);
        memcpy(a + 8, &a1, sizeof a1);
        memcpy(out + i * OC + o0, a, nc * sizeof *a);
    }
}

#if TSF_CPU_X86_FMA
#include <immintrin.h>
/* pack() with 8x8 blocks transposed in registers (unpack, shuffle,
 * permute: the standard 8x8 transpose); the edges as pack() does them.
 * Only moves data: the panel is the same. */
__attribute__((target("avx2"))) static void pack_avx2(float *panel, const float *w, size_t C,
                                                      size_t OC, size_t o0, size_t k0,
                                                      size_t nk)
{
    size_t nc = OC - o0 < NC ? OC - o0 : NC, k8 = nk / 8 * 8;
    if (nc < NC || k8 < nk) {
        pack(panel, w, C, OC, o0, k0, nk);
        if (nc < 8) return;
    }
    for (size_t j0 = 0; j0 + 8 <= nc; j0 += 8) {
        const float *wr = w + (o0 + j0) * C + k0;
        for (size_t k = 0; k < k8; k += 8) {
            __m256 r0 = _mm256_loadu_ps(wr + k), r1 = _mm256_loadu_ps(wr + C + k);
            __m256 r2 = _mm256_loadu_ps(wr + 2 * C + k), r3 = _mm256_loadu_ps(wr + 3 * C + k);
            __m256 r4 = _mm256_loadu_ps(wr + 4 * C + k), r5 = _mm256_loadu_ps(wr + 5 * C + k);
            __m256 r6 = _mm256_loadu_ps(wr + 6 * C + k), r7 = _mm256_loadu_ps(wr + 7 * C + k);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *pk = panel + k * NC + j0;
            _mm256_storeu_ps(pk, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(pk + NC, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(pk + 2 * NC, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(pk + 3 * NC, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(pk + 4 * NC, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(pk + 5 * NC, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(pk + 6 * NC, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(pk + 7 * NC, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    }
}

/* The 16 sums of row r of a panel start from: out itself (a later panel
 * of the inputs), the bias, or zeros; a partial panel through a staging
 * row.  The same values either way. */
#define LOAD2(c0, c1, r)                                                                      \
    do {                                                                                      \
        const float *src_ = k0 ? out + (r) * OC + o0 : bias ? bias + o0 : NULL;               \
        if (!full) {                                                                          \
            start(st, out + (r) * OC, bias, o0, nc, k0 == 0);                                 \
            src_ = st;                                                                        \
        }                                                                                     \
        c0 = src_ ? _mm256_loadu_ps(src_) : _mm256_setzero_ps();                              \
        c1 = src_ ? _mm256_loadu_ps(src_ + 8) : _mm256_setzero_ps();                          \
    } while (0)
#define STORE2(c0, c1, r)                                                                     \
    do {                                                                                      \
        if (full) {                                                                           \
            _mm256_storeu_ps(out + (r) * OC + o0, c0);                                        \
            _mm256_storeu_ps(out + (r) * OC + o0 + 8, c1);                                    \
        } else {                                                                              \
            _mm256_storeu_ps(st, c0);                                                         \
            _mm256_storeu_ps(st + 8, c1);                                                     \
            memcpy(out + (r) * OC + o0, st, nc * sizeof(float));                              \
        }                                                                                     \
    } while (0)

/* AVX2 panel: rows 4 at a time (8 accumulators: 4 rows x 16 columns), one
 * FMA per element and input; the rest of the rows one at a time through
 * the same FMAs. */
__attribute__((target("avx2,fma"))) static void panel_rows_fma(float *out, const float *inp,
                                                               const float *panel,
                                                               const float *bias, size_t M,
                                                               size_t C, size_t OC, size_t o0,
                                                               size_t k0, size_t nk)
{
    size_t nc = OC - o0 < NC ? OC - o0 : NC, i = 0;
    int full = nc == NC;
    float st[NC];
    for (; i + 4 <= M; i += 4) {
        __m256 c00, c01, c10, c11, c20, c21, c30, c31;
        LOAD2(c00, c01, i);
        LOAD2(c10, c11, i + 1);
        LOAD2(c20, c21, i + 2);
        LOAD2(c30, c31, i + 3);
        const float *x = inp + i * C + k0;
        for (size_t k = 0; k < nk; k++) {
            __m256 w0 = _mm256_loadu_ps(panel + k * NC), w1 = _mm256_loadu_ps(panel + k * NC + 8);
            __m256 x0 = _mm256_broadcast_ss(x + k), x1 = _mm256_broadcast_ss(x + C + k);
            __m256 x2 = _mm256_broadcast_ss(x + 2 * C + k), x3 = _mm256_broadcast_ss(x + 3 * C + k);
            c00 = _mm256_fmadd_ps(x0, w0, c00);
            c01 = _mm256_fmadd_ps(x0, w1, c01);
            c10 = _mm256_fmadd_ps(x1, w0, c10);
            c11 = _mm256_fmadd_ps(x1, w1, c11);
            c20 = _mm256_fmadd_ps(x2, w0, c20);
            c21 = _mm256_fmadd_ps(x2, w1, c21);
            c30 = _mm256_fmadd_ps(x3, w0, c30);
            c31 = _mm256_fmadd_ps(x3, w1, c31);
        }
        STORE2(c00, c01, i);
        STORE2(c10, c11, i + 1);
        STORE2(c20, c21, i + 2);
        STORE2(c30, c31, i + 3);
    }
    for (; i < M; i++) {
        __m256 c0, c1;
        LOAD2(c0, c1, i);
        const float *x = inp + i * C + k0;
        for (size_t k = 0; k < nk; k++) {
            __m256 xb = _mm256_broadcast_ss(x + k);
            c0 = _mm256_fmadd_ps(xb, _mm256_loadu_ps(panel + k * NC), c0);
            c1 = _mm256_fmadd_ps(xb, _mm256_loadu_ps(panel + k * NC + 8), c1);
        }
        STORE2(c0, c1, i);
    }
}
#endif

/* The panels of weight (OC,C) as the product packs them, all of them:
 * the panel of outputs o0.. and inputs k0.. at (o0 / NC) C NC + k0 NC. */
size_t tsf_cpu_matmul_inv_packed_size(size_t C, size_t OC) { return (OC + NC - 1) / NC * NC * C; }

void tsf_cpu_matmul_inv_pack(float *packed, const float *weight, size_t C, size_t OC)
{
    for (size_t o0 = 0; o0 < OC; o0 += NC)
        for (size_t k0 = 0; k0 < C; k0 += KC) {
            size_t nk = C - k0 < KC ? C - k0 : KC;
            pack(packed + o0 / NC * C * NC + k0 * NC, weight, C, OC, o0, k0, nk);
        }
}

/* The product from the weights (packed NULL: each panel packed on the
 * way) or from their panels packed beforehand: the same panels, the same
 * arithmetic, the same bits. */
static void matmul_inv(float *out, const float *inp, const float *weight, const float *packed,
                       const float *bias, size_t M, size_t C, size_t OC)
{
    float buf[KC * NC];
    int fma = tsf_cpu_fma();
    if (C == 0) { /* no inputs: the bias */
        for (size_t i = 0; i < M; i++) {
            if (bias) memcpy(out + i * OC, bias, OC * sizeof *out);
            else memset(out + i * OC, 0, OC * sizeof *out);
        }
        return;
    }
    for (size_t o0 = 0; o0 < OC; o0 += NC)
        for (size_t k0 = 0; k0 < C; k0 += KC) {
            size_t nk = C - k0 < KC ? C - k0 : KC;
            const float *panel = packed ? packed + o0 / NC * C * NC + k0 * NC : buf;
#if TSF_CPU_X86_FMA
            if (fma) {
                if (!packed) pack_avx2(buf, weight, C, OC, o0, k0, nk);
                panel_rows_fma(out, inp, panel, bias, M, C, OC, o0, k0, nk);
                continue;
            }
#endif
            (void)fma;
            if (!packed) pack(buf, weight, C, OC, o0, k0, nk);
            panel_rows(out, inp, panel, bias, M, C, OC, o0, k0, nk);
        }
}

// inp (M,C) @ weight (OC,C)^T + bias (OC) -> out (M,OC), each row as if alone
void tsf_cpu_matmul_inv(float *out, const float *inp, const float *weight, const float *bias,
                        size_t M, size_t C, size_t OC)
{
    matmul_inv(out, inp, weight, NULL, bias, M, C, OC);
}

// the same from tsf_cpu_matmul_inv_pack's panels of the weight
void tsf_cpu_matmul_inv_packed(float *out, const float *inp, const float *packed,
                               const float *bias, size_t M, size_t C, size_t OC)
{
    matmul_inv(out, inp, NULL, packed, bias, M, C, OC);
}

/* The inference table: the CPU reference's ops with the invariant product
 * and the per-query dense attention (cpu_attention.c); the sparse and
 * additive attentions compute every query through the step's routine
 * already.  Its products run on the caller's thread. */
static int on_caller(void) { return 1; }

const tsf_nn_backend tsf_cpu_infer = TSF_CPU_TABLE_X("cpu", tsf_cpu_matmul_inv,
                                                     tsf_cpu_matmul_backward, on_caller,
                                                     tsf_cpu_attention_forward_q,
                                                     tsf_cpu_sparse_attention_forward, NULL);

const tsf_nn_backend *tsf_nn_infer_backend(const tsf_nn_backend *be)
{
    return be->infer ? be->infer : be;
}
