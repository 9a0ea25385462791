/* The batch-invariant inference kernels (src/neural/cpu_invariant.c):
 * - the product: every row of an M-row call is bit for bit the row
 *   computed alone (M = 1) and in calls of other sizes, for input widths
 *   below, at and past the panel depth (the sum continued from the stored
 *   output), and within rounding of a double-precision reference;
 * - the block-sparse kernel of pruned weights gives the invariant dense
 *   product's bits, for any number of rows (groups of 8 and the rest);
 * - the inference pass's dense attention gives attention_step's bits for
 *   every query (ring buffers filled as the step fills them) and agrees
 *   with the training pass's GEMM attention to rounding;
 * - tsf_nn_infer_backend: the invariant table for the host backends, a
 *   device backend's own table. */
#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "neural/cpu_ops.h"
#include "neural/prune.h"

static void fill(float *x, size_t n, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)gsl_ran_gaussian(r, 1.0);
}

static size_t nbits(const float *a, const float *b, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += memcmp(a + i, b + i, sizeof *a) != 0;
    return d;
}

static void test_matmul_rows(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    /* (C, OC): the embedding's 4 inputs, d = 32 shapes, a width past the
     * panel depth of 256 and output counts that leave partial panels */
    size_t shapes[5][2] = {{4, 32}, {32, 96}, {128, 32}, {300, 17}, {32, 3}};
    size_t M = 1000;
    for (int s = 0; s < 5; s++) {
        size_t C = shapes[s][0], OC = shapes[s][1];
        float *x = malloc(M * C * sizeof *x), *w = malloc(OC * C * sizeof *w);
        float *b = malloc(OC * sizeof *b), *all = malloc(M * OC * sizeof *all);
        float *one = malloc(M * OC * sizeof *one), *part = malloc(M * OC * sizeof *part);
        fill(x, M * C, r);
        fill(w, OC * C, r);
        fill(b, OC, r);
        tsf_cpu_matmul_inv(all, x, w, b, M, C, OC);
        for (size_t i = 0; i < M; i++) tsf_cpu_matmul_inv(one + i * OC, x + i * C, w, b, 1, C, OC);
        /* uneven calls: 7, 1, 13, 2, ... rows */
        size_t sizes[4] = {7, 1, 13, 2}, i0 = 0;
        for (int k = 0; i0 < M; k = (k + 1) % 4) {
            size_t m = sizes[k] < M - i0 ? sizes[k] : M - i0;
            tsf_cpu_matmul_inv(part + i0 * OC, x + i0 * C, w, b, m, C, OC);
            i0 += m;
        }
        size_t d1 = nbits(all, one, M * OC), d2 = nbits(all, part, M * OC);
        double worst = 0.0;
        for (size_t i = 0; i < M; i++)
            for (size_t o = 0; o < OC; o++) {
                double ref = b[o], mag = fabs(b[o]);
                for (size_t k = 0; k < C; k++) {
                    ref += (double)x[i * C + k] * w[o * C + k];
                    mag += fabs((double)x[i * C + k] * w[o * C + k]);
                }
                worst = fmax(worst, fabs(all[i * OC + o] - ref) / mag);
            }
        print_message("C=%zu OC=%zu: %zu rows at once vs one at a time: %zu differ; vs uneven "
                      "calls: %zu; vs double (relative to sum |terms|): %.2e (fma %d)\n",
                      C, OC, M, d1, d2, worst, tsf_cpu_fma());
        assert_int_equal(d1, 0);
        assert_int_equal(d2, 0);
        /* C roundings of at most 2^-24 each, relative to the sum of |terms| */
        assert_true(worst <= (double)C * 6e-8);
        /* no bias: the sums start from 0 */
        tsf_cpu_matmul_inv(all, x, w, NULL, 5, C, OC);
        for (size_t o = 0; o < OC; o++) {
            double ref = 0.0, mag = 0.0;
            for (size_t k = 0; k < C; k++) {
                ref += (double)x[k] * w[o * C + k];
                mag += fabs((double)x[k] * w[o * C + k]);
            }
            assert_true(fabs(all[o] - ref) <= (double)C * 6e-8 * mag + 1e-30);
        }
        free(x); free(w); free(b); free(all); free(one); free(part);
    }
    gsl_rng_free(r);
}

/* BSR (8x1 blocks, prune.h) of w (OC, C) with block (i, c) zero when
 * (i + c) % 3 == 0 (zeroed in w as well) */
/* The product from panels packed once (the step's copy of a dense
 * matrix, prune.c) gives the bits of the product that packs on the way,
 * for partial panels and widths past the panel depth. */
static void test_packed_same_bits(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    size_t shapes[4][2] = {{32, 96}, {256, 768}, {300, 17}, {600, 40}};
    for (int s = 0; s < 4; s++) {
        size_t C = shapes[s][0], OC = shapes[s][1];
        for (size_t M = 1; M <= 9; M += 4) {
            float *x = malloc(M * C * sizeof *x), *w = malloc(OC * C * sizeof *w);
            float *b = malloc(OC * sizeof *b), *a = malloc(M * OC * sizeof *a);
            float *p = malloc(M * OC * sizeof *p);
            float *pk = malloc(tsf_cpu_matmul_inv_packed_size(C, OC) * sizeof *pk);
            assert_non_null(x); assert_non_null(w); assert_non_null(b);
            assert_non_null(a); assert_non_null(p); assert_non_null(pk);
            fill(x, M * C, r);
            fill(w, OC * C, r);
            fill(b, OC, r);
            tsf_cpu_matmul_inv(a, x, w, b, M, C, OC);
            tsf_cpu_matmul_inv_pack(pk, w, C, OC);
            tsf_cpu_matmul_inv_packed(p, x, pk, b, M, C, OC);
            assert_int_equal(nbits(a, p, M * OC), 0);
            tsf_cpu_matmul_inv(a, x, w, NULL, M, C, OC);
            tsf_cpu_matmul_inv_packed(p, x, pk, NULL, M, C, OC);
            assert_int_equal(nbits(a, p, M * OC), 0);
            free(x); free(w); free(b); free(a); free(p); free(pk);
        }
    }
    gsl_rng_free(r);
}

static void to_bsr(float *w, size_t OC, size_t C, uint32_t *ptr, uint32_t *col, float *val)
{
    size_t nbr = (OC + 7) / 8, n = 0;
    ptr[0] = 0;
    for (size_t i = 0; i < nbr; i++) {
        for (size_t c = 0; c < C; c++) {
            int zero = (i + c) % 3 == 0;
            for (size_t r = i * 8; r < OC && r < i * 8 + 8; r++) {
                if (zero) w[r * C + c] = 0.0f;
                val[n * 8 + (r - i * 8)] = w[r * C + c];
            }
            if (zero) continue;
            col[n++] = (uint32_t)c;
        }
        ptr[i + 1] = (uint32_t)n;
    }
}

static void test_bsr_same_bits(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4);
    size_t C = 40, OC = 37, nbr = (OC + 7) / 8, M = 203;
    float *x = malloc(M * C * sizeof *x), *w = malloc(OC * C * sizeof *w);
    float *b = malloc(OC * sizeof *b), *d = malloc(M * OC * sizeof *d);
    float *s = malloc(M * OC * sizeof *s), *val = calloc(nbr * C * 8, sizeof *val);
    uint32_t *ptr = malloc((nbr + 1) * sizeof *ptr), *col = malloc(nbr * C * sizeof *col);
    fill(x, M * C, r);
    fill(w, OC * C, r);
    fill(b, OC, r);
    to_bsr(w, OC, C, ptr, col, val);
    tsf_cpu_matmul_inv(d, x, w, b, M, C, OC);
    size_t rows[5] = {1, 5, 8, 13, M};
    for (int k = 0; k < 5; k++) {
        size_t m = rows[k];
        memset(s, 0, M * OC * sizeof *s);
        tsf_cpu_bsr_matmul(s, x, b, m, C, OC, ptr, col, val);
        size_t nd = nbits(d, s, m * OC);
        print_message("block-sparse vs invariant dense, %zu rows: %zu of %zu outputs differ\n",
                      m, nd, m * OC);
        assert_int_equal(nd, 0);
    }
    free(x); free(w); free(b); free(d); free(s); free(val); free(ptr); free(col);
    gsl_rng_free(r);
}

static void test_attention_query(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    size_t B = 3, T = 41, C = 32, NH = 4, W = 16;
    float *qkv = malloc(B * T * 3 * C * sizeof *qkv), *out = malloc(B * T * C * sizeof *out);
    float *att = malloc(B * NH * T * T * sizeof *att), *ref = malloc(B * T * C * sizeof *ref);
    float *att2 = malloc(B * NH * T * T * sizeof *att2), *so = malloc(B * C * sizeof *so);
    float *kc = calloc(B * W * C, sizeof *kc), *vc = calloc(B * W * C, sizeof *vc);
    float *q = malloc(B * C * sizeof *q), *sc = malloc(NH * W * sizeof *sc);
    fill(qkv, B * T * 3 * C, r);
    tsf_cpu_attention_forward_q(out, att, qkv, B, T, C, NH, W);
    tsf_cpu_attention_forward(ref, att2, qkv, B, T, C, NH, W);
    size_t nd = 0;
    double worst = 0.0, pw = 0.0;
    for (size_t t = 0; t < T; t++) {
        /* the step: this position's k, v into the rings, then its query */
        for (size_t b = 0; b < B; b++) {
            const float *row = qkv + (b * T + t) * 3 * C;
            memcpy(kc + (b * W + t % W) * C, row + C, C * sizeof *kc);
            memcpy(vc + (b * W + t % W) * C, row + 2 * C, C * sizeof *vc);
            memcpy(q + b * C, row, C * sizeof *q);
        }
        tsf_cpu_attention_step(so, q, kc, vc, B, C, NH, W, t, sc);
        for (size_t b = 0; b < B; b++) nd += nbits(so + b * C, out + (b * T + t) * C, C);
    }
    for (size_t i = 0; i < B * T * C; i++) worst = fmax(worst, fabs(out[i] - ref[i]));
    for (size_t i = 0; i < B * NH * T * T; i++) pw = fmax(pw, fabs(att[i] - att2[i]));
    print_message("per-query pass vs step: %zu of %zu outputs differ; vs the GEMM pass: outputs "
                  "%.2e, probabilities %.2e\n", nd, B * T * C, worst, pw);
    assert_int_equal(nd, 0);
    assert_true(worst <= 1e-5 && pw <= 1e-6);
    free(qkv); free(out); free(att); free(ref); free(att2); free(so); free(kc); free(vc);
    free(q); free(sc);
    gsl_rng_free(r);
}

static void test_tables(void **state)
{
    (void)state;
    const tsf_nn_backend *cpu = tsf_nn_backend_cpu(), *inf = tsf_nn_infer_backend(cpu);
    assert_ptr_equal(inf->matmul_forward, tsf_cpu_matmul_inv);
    assert_ptr_equal(inf->attention_forward, tsf_cpu_attention_forward_q);
    assert_ptr_equal(inf->attention_step, cpu->attention_step);
    assert_ptr_equal(inf->alloc, cpu->alloc);
    assert_ptr_equal(tsf_nn_infer_backend(inf), inf);
    tsf_nn_backend dev = *cpu; /* a device: no inference table of its own */
    dev.on_device = 1;
    dev.infer = NULL;
    assert_ptr_equal(tsf_nn_infer_backend(&dev), &dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_rows),
        cmocka_unit_test(test_bsr_same_bits),
        cmocka_unit_test(test_packed_same_bits),
        cmocka_unit_test(test_attention_query),
        cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
