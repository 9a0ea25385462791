/* Sparse attention patterns (src/neural/attn_pattern.h,
 * cpu_sparse_attn.c) against a dense masked reference computed the slow
 * way: every query scores every earlier key in double precision, the
 * keys outside the pattern are masked out by a membership test written
 * from the definitions of docs/neural.md (not from the offset lists), and
 * the softmax runs over what is left.  Outputs and probabilities agree to
 * 1e-6; gradients agree with central differences of the reference; the
 * one-query KV-cache step over rings of the pattern's span reproduces the
 * full pass; the arrays are O(T x keys), not O(T x W). */
#define TWIN_SEED 20261204
#include "twin_util.h"
#include "neural/cpu_ops.h"

/* Is key j visible from query i in head h of NH?  From the definitions. */
static int visible(int kind, int W, int band, int h, int NH, int i, int j)
{
    int d = i - j;
    if (j < 0 || d < 0 || d >= W) return 0;
    switch (kind) {
    case TSF_NN_PAT_LOCAL:
        return d < band; /* the last band positions, i itself included */
    case TSF_NN_PAT_LOGSPARSE: {
        if (d <= band) return 1; /* i itself and the band most recent */
        for (int k = 0; (1 << k) <= W; k++)
            if (d == 1 << k) return 1; /* i - 2^k, k = 0 .. floor(log2 W) */
        return 0;
    }
    case TSF_NN_PAT_STRIDED: {
        int l = (int)ceil(sqrt((double)W) - 1e-9);
        return 2 * h < NH ? d < l : d % l == 0;
    }
    default:
        return 1;
    }
}

/* Reference forward in double: out (B,T,C), P (B,NH,T,T) dense probabilities. */
static void reference(double *out, double *P, const double *qkv, size_t B, size_t T, size_t C,
                      size_t NH, tsf_nn_pattern p)
{
    size_t hs = C / NH;
    double sc = 1.0 / sqrt((double)hs);
    for (size_t b = 0; b < B; b++)
        for (size_t h = 0; h < NH; h++) {
            double slope = exp2(-8.0 * (double)(h + 1) / (double)NH);
            for (size_t i = 0; i < T; i++) {
                double *row = P + ((b * NH + h) * T + i) * T, mx = -INFINITY, sum = 0.0;
                const double *q = qkv + (b * T + i) * 3 * C + h * hs;
                for (size_t j = 0; j < T; j++) {
                    row[j] = -INFINITY;
                    if (!visible(p.kind, p.window, p.band, (int)h, (int)NH, (int)i, (int)j))
                        continue;
                    const double *k = qkv + (b * T + j) * 3 * C + C + h * hs;
                    double s = 0.0;
                    for (size_t d = 0; d < hs; d++) s += q[d] * k[d];
                    row[j] = s * sc - slope * (double)(i - j);
                    mx = fmax(mx, row[j]);
                }
                for (size_t j = 0; j < T; j++) {
                    row[j] = row[j] == -INFINITY ? 0.0 : exp(row[j] - mx);
                    sum += row[j];
                }
                double *o = out + (b * T + i) * C + h * hs;
                for (size_t d = 0; d < hs; d++) o[d] = 0.0;
                for (size_t j = 0; j < T; j++) {
                    row[j] /= sum;
                    for (size_t d = 0; d < hs; d++)
                        o[d] += row[j] * qkv[(b * T + j) * 3 * C + 2 * C + h * hs + d];
                }
            }
        }
}

typedef struct {
    int kind, W, band;
    size_t B, T, C, NH;
} pcase;

static const pcase cases[] = {
    {TSF_NN_PAT_LOCAL, 40, 5, 2, 45, 16, 2},     {TSF_NN_PAT_LOCAL, 40, 64, 1, 45, 16, 2},
    {TSF_NN_PAT_LOGSPARSE, 40, 3, 2, 45, 16, 2}, {TSF_NN_PAT_LOGSPARSE, 32, 8, 1, 70, 24, 4},
    {TSF_NN_PAT_LOGSPARSE, 7, 9, 1, 20, 8, 2},   {TSF_NN_PAT_STRIDED, 40, 8, 2, 45, 16, 2},
    {TSF_NN_PAT_STRIDED, 30, 8, 1, 61, 24, 4},   {TSF_NN_PAT_DENSE, 12, 8, 1, 30, 16, 2},
    {TSF_NN_PAT_LOGSPARSE, 20, 3, 2, 37, 12, 2}, /* 3d = 36, T = 37: not multiples of 8 */
};
#define NCASES (sizeof cases / sizeof *cases)

static tsf_nn_pattern pat_of(const pcase *c)
{
    tsf_nn_pattern p = {c->kind, c->W, c->band};
    return p;
}

/* The two forms of the kernels: per query (the step's, and the fallback)
 * and over transposed panels (training, cpu_sparse_panel.c). */
typedef void (*fwd_fn)(float *, float *, const float *, size_t, size_t, size_t, size_t,
                       tsf_nn_pattern);
typedef void (*bwd_fn)(float *, float *, const float *, const float *, const float *, size_t,
                       size_t, size_t, size_t, tsf_nn_pattern);
static const struct {
    const char *name;
    fwd_fn fwd;
    bwd_fn bwd;
} kernels[] = {
    {"per-query", tsf_cpu_sparse_attention_forward, tsf_cpu_sparse_attention_backward},
    {"panel", tsf_cpu_sparse_attention_forward_panel, tsf_cpu_sparse_attention_backward_panel},
};
#define NKERNELS (sizeof kernels / sizeof *kernels)

/* The offset lists are the membership test's sets, ascending. */
static void test_offsets(void **state)
{
    (void)state;
    for (int kind = 0; kind < 4; kind++)
        for (int W = 2; W <= 300; W += W / 3 + 1)
            for (int band = 1; band <= 20; band += 6)
                for (int NH = 2; NH <= 4; NH += 2) {
                    tsf_nn_pattern p = {kind, W, band};
                    int span = 0, width = 0;
                    for (int h = 0; h < NH; h++) {
                        int n = tsf_pat_count(&p, h, NH), m = 0;
                        for (int d = 0; d < W; d++)
                            if (visible(kind, W, band, h, NH, 5000, 5000 - d)) {
                                assert_true(m < n);
                                assert_int_equal(tsf_pat_offset(&p, h, NH, m), d);
                                m++;
                                span = d + 1 > span ? d + 1 : span;
                            }
                        assert_int_equal(m, n);
                        width = n > width ? n : width;
                    }
                    assert_int_equal(tsf_pat_span(&p, NH), span);
                    assert_int_equal(tsf_pat_width(&p, NH), width);
                }
    /* the sizes the docs promise: O(log W) and O(sqrt W) keys per query */
    tsf_nn_pattern ls = {TSF_NN_PAT_LOGSPARSE, 1024, 8}, st = {TSF_NN_PAT_STRIDED, 2048, 8};
    assert_int_equal(tsf_pat_width(&ls, 4), 9 + 6);   /* 0..8, 16, 32, ..., 512 */
    assert_int_equal(tsf_pat_span(&ls, 4), 513);
    assert_int_equal(tsf_pat_width(&st, 4), 46);      /* l = 46: 0..45 | 0, 46, ..., 2024 */
    assert_int_equal(tsf_pat_span(&st, 4), 2025);
}

static double *to_double(const float *x, size_t n)
{
    double *d = malloc(n * sizeof *d);
    assert_non_null(d);
    for (size_t i = 0; i < n; i++) d[i] = x[i];
    return d;
}

static void test_forward(void **state)
{
    (void)state;
    for (size_t s = 0; s < NCASES * NKERNELS; s++) {
        const pcase *c = &cases[s / NKERNELS];
        tsf_nn_pattern p = pat_of(c);
        size_t B = c->B, T = c->T, C = c->C, NH = c->NH;
        size_t N = (size_t)tsf_pat_width(&p, (int)NH);
        float *qkv = fa(B * T * 3 * C), *out = fa(B * T * C), *att = fa(B * NH * T * N);
        randn(qkv, B * T * 3 * C, 1.0);
        double *dq = to_double(qkv, B * T * 3 * C), *ro = malloc(B * T * C * sizeof *ro);
        double *rp = malloc(B * NH * T * T * sizeof *rp);
        for (size_t i = 0; i < B * NH * T * N; i++) att[i] = NAN; /* every entry written */
        kernels[s % NKERNELS].fwd(out, att, qkv, B, T, C, NH, p);
        reference(ro, rp, dq, B, T, C, NH, p);
        double worst = 0.0;
        for (size_t i = 0; i < B * T * C; i++) worst = fmax(worst, fabs(out[i] - ro[i]));
        for (size_t b = 0; b < B; b++)
            for (size_t h = 0; h < NH; h++)
                for (size_t t = 0; t < T; t++) {
                    const float *a = att + ((b * NH + h) * T + t) * N;
                    const double *r = rp + ((b * NH + h) * T + t) * T;
                    double tot = 0.0;
                    int n = tsf_pat_count(&p, (int)h, (int)NH);
                    for (size_t m = 0; m < N; m++) {
                        int d = (int)m < n ? tsf_pat_offset(&p, (int)h, (int)NH, (int)m) : -1;
                        double want = d >= 0 && (size_t)d <= t ? r[t - (size_t)d] : 0.0;
                        worst = fmax(worst, fabs(a[m] - want));
                        tot += want;
                    }
                    assert_rel(tot, 1.0, 1e-12, 0); /* the entries hold the whole row */
                }
        print_message("%s: pattern %d W %d band %d: largest error %.2e\n",
                      kernels[s % NKERNELS].name, c->kind, c->W, c->band, worst);
        assert_true(worst <= 1e-6);
        free(qkv); free(out); free(att); free(dq); free(ro); free(rp);
    }
}

/* The dense pattern through the gather kernels = the GEMM kernels. */
static void test_dense_matches(void **state)
{
    (void)state;
    size_t B = 2, T = 50, C = 16, NH = 2, W = 20;
    tsf_nn_pattern p = {TSF_NN_PAT_DENSE, (int)W, 8};
    float *qkv = fa(B * T * 3 * C), *o1 = fa(B * T * C), *o2 = fa(B * T * C);
    float *a1 = fa(B * NH * T * T), *a2 = fa(B * NH * T * W);
    randn(qkv, B * T * 3 * C, 1.0);
    tsf_cpu_attention_forward(o1, a1, qkv, B, T, C, NH, W);
    for (size_t k = 0; k < NKERNELS; k++) {
        kernels[k].fwd(o2, a2, qkv, B, T, C, NH, p);
        assert_nerr(o2, o1, B * T * C, 1e-6);
    }
    free(qkv); free(o1); free(o2); free(a1); free(a2);
}

/* Gradients of L = sum(dout . out) against central differences of the
 * double reference, every qkv entry. */
static void test_backward_fd(void **state)
{
    (void)state;
    for (size_t s = 0; s < NCASES * NKERNELS; s++) {
        const pcase *c = &cases[s / NKERNELS];
        tsf_nn_pattern p = pat_of(c);
        size_t B = 1, T = c->T < 24 ? c->T : 24, C = 8, NH = c->NH > 2 ? 4 : 2;
        size_t N = (size_t)tsf_pat_width(&p, (int)NH), nq = B * T * 3 * C;
        float *qkv = fa(nq), *out = fa(B * T * C), *att = fa(B * NH * T * N);
        float *dout = fa(B * T * C), *g = fa(nq), *g0 = fa(nq), *datt = fa(B * NH * T * N);
        randn(qkv, nq, 1.0);
        randn(dout, B * T * C, 1.0);
        randn(g0, nq, 0.3); /* += semantics */
        memcpy(g, g0, nq * sizeof *g);
        kernels[s % NKERNELS].fwd(out, att, qkv, B, T, C, NH, p);
        kernels[s % NKERNELS].bwd(g, datt, dout, qkv, att, B, T, C, NH, p);
        double *x = to_double(qkv, nq), *ro = malloc(B * T * C * sizeof *ro);
        double *rp = malloc(B * NH * T * T * sizeof *rp), worst = 0.0, eps = 1e-5;
        for (size_t i = 0; i < nq; i++) {
            double v = x[i], lp = 0.0, lm = 0.0;
            x[i] = v + eps;
            reference(ro, rp, x, B, T, C, NH, p);
            for (size_t k = 0; k < B * T * C; k++) lp += dout[k] * ro[k];
            x[i] = v - eps;
            reference(ro, rp, x, B, T, C, NH, p);
            for (size_t k = 0; k < B * T * C; k++) lm += dout[k] * ro[k];
            x[i] = v;
            double fd = (lp - lm) / (2 * eps), an = (double)g[i] - g0[i];
            worst = fmax(worst, fabs(an - fd) / (1.0 + fabs(fd)));
        }
        print_message("%s: pattern %d W %d band %d: gradient vs finite differences %.2e\n",
                      kernels[s % NKERNELS].name, c->kind, c->W, c->band, worst);
        assert_true(worst <= 2e-5);
        free(qkv); free(out); free(att); free(dout); free(g); free(g0); free(datt);
        free(x); free(ro); free(rp);
    }
}

/* Training sizes (windows past the series' start, offsets beyond T): the
 * panel kernels against the double reference (forward) and the per-query
 * kernels (backward, += semantics kept); a second run gives the same bits. */
static void test_panel_large(void **state)
{
    (void)state;
    static const pcase big[] = {
        {TSF_NN_PAT_LOGSPARSE, 1024, 8, 2, 1100, 64, 4}, {TSF_NN_PAT_LOGSPARSE, 1024, 8, 1, 300, 64, 4},
        {TSF_NN_PAT_STRIDED, 300, 8, 1, 700, 32, 2},     {TSF_NN_PAT_LOCAL, 64, 9, 2, 200, 48, 4},
        {TSF_NN_PAT_STRIDED, 50, 8, 1, 123, 20, 2},
    };
    for (size_t s = 0; s < sizeof big / sizeof *big; s++) {
        const pcase *c = &big[s];
        tsf_nn_pattern p = pat_of(c);
        size_t B = c->B, T = c->T, C = c->C, NH = c->NH, nq = B * T * 3 * C;
        size_t N = (size_t)tsf_pat_width(&p, (int)NH), A = B * NH * T * N;
        float *qkv = fa(nq), *o1 = fa(B * T * C), *o2 = fa(B * T * C), *a1 = fa(A), *a2 = fa(A);
        float *dout = fa(B * T * C), *g1 = fa(nq), *g2 = fa(nq), *g3 = fa(nq), *datt = fa(A);
        randn(qkv, nq, 1.0);
        randn(dout, B * T * C, 1.0);
        randn(g1, nq, 0.3);
        memcpy(g2, g1, nq * sizeof *g1);
        memcpy(g3, g1, nq * sizeof *g1);
        double *dq = to_double(qkv, nq), *ro = malloc(B * T * C * sizeof *ro);
        double *rp = malloc(B * NH * T * T * sizeof *rp), worst = 0.0;
        assert_non_null(ro);
        assert_non_null(rp);
        reference(ro, rp, dq, B, T, C, NH, p);
        tsf_cpu_sparse_attention_forward_panel(o2, a2, qkv, B, T, C, NH, p);
        for (size_t i = 0; i < B * T * C; i++) worst = fmax(worst, fabs(o2[i] - ro[i]));
        assert_true(worst <= 1e-6);
        tsf_cpu_sparse_attention_forward(o1, a1, qkv, B, T, C, NH, p);
        assert_nerr(a2, a1, A, 1e-6);
        tsf_cpu_sparse_attention_backward(g1, datt, dout, qkv, a1, B, T, C, NH, p);
        tsf_cpu_sparse_attention_backward_panel(g2, datt, dout, qkv, a2, B, T, C, NH, p);
        assert_nerr(g2, g1, nq, 1e-5);
        /* deterministic: the same inputs, the same bits */
        tsf_cpu_sparse_attention_forward_panel(o1, a1, qkv, B, T, C, NH, p);
        tsf_cpu_sparse_attention_backward_panel(g3, datt, dout, qkv, a1, B, T, C, NH, p);
        assert_memory_equal(o1, o2, B * T * C * sizeof *o1);
        assert_memory_equal(a1, a2, A * sizeof *a1);
        assert_memory_equal(g3, g2, nq * sizeof *g2);
        print_message("panel, pattern %d W %d T %zu: output error %.2e\n", c->kind, c->W, T,
                      worst);
        free(qkv); free(o1); free(o2); free(a1); free(a2); free(dout); free(g1); free(g2);
        free(g3); free(datt); free(dq); free(ro); free(rp);
    }
}

/* The step over rings of span positions reproduces the full pass row by row. */
static void test_step(void **state)
{
    (void)state;
    for (size_t s = 0; s < NCASES; s++) {
        const pcase *c = &cases[s];
        tsf_nn_pattern p = pat_of(c);
        size_t B = c->B, T = c->T, C = c->C, NH = c->NH;
        size_t N = (size_t)tsf_pat_width(&p, (int)NH), R = (size_t)tsf_pat_span(&p, (int)NH);
        assert_true(R <= (size_t)c->W);
        float *qkv = fa(B * T * 3 * C), *out = fa(B * T * C), *att = fa(B * NH * T * N);
        float *kc = fa(B * R * C), *vc = fa(B * R * C), *q = fa(B * C), *o = fa(B * C);
        float *scr = fa(NH * N);
        randn(qkv, B * T * 3 * C, 1.0);
        tsf_cpu_sparse_attention_forward(out, att, qkv, B, T, C, NH, p);
        for (size_t t = 0; t < T; t++) {
            for (size_t b = 0; b < B; b++) {
                const float *row = qkv + (b * T + t) * 3 * C;
                memcpy(q + b * C, row, C * sizeof *q);
                memcpy(kc + (b * R + t % R) * C, row + C, C * sizeof *q);
                memcpy(vc + (b * R + t % R) * C, row + 2 * C, C * sizeof *q);
            }
            tsf_cpu_sparse_attention_step(o, q, kc, vc, B, C, NH, t, p, scr);
            for (size_t b = 0; b < B; b++)
                for (size_t k = 0; k < C; k++)
                    assert_close(o[b * C + k], out[(b * T + t) * C + k], 1e-6);
        }
        free(qkv); free(out); free(att); free(kc); free(vc); free(q); free(o); free(scr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets),     cmocka_unit_test(test_forward),
        cmocka_unit_test(test_dense_matches), cmocka_unit_test(test_backward_fd),
        cmocka_unit_test(test_step),        cmocka_unit_test(test_panel_large),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
