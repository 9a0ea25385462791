/* Pruned sparse weights (src/neural/prune.c, cpu_sparse.c): the cubic
 * schedule against its closed form; the block-sparse kernel against a
 * dense double-precision product on the same zeroed weights; fitted
 * models reach exactly the requested sparsity in every matrix of more
 * than 1000 entries; the streaming log-likelihood (sparse kernels) equals
 * the training pass over the whole series (dense weights with their
 * zeros); save -> load is bit-identical; bad specs are one-line errors. */
#include "testutil.h"
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "core/model_impl.h"
#include "neural/neural.h"
#include "neural/prune.h"

static void test_schedule(void **state)
{
    (void)state;
    /* Zhu & Gupta eq. 1 with s_i = 0, t0 = 0.1 T, n dt = (end - 0.1) T,
     * for the transformer's end 0.3 and the others' 0.5 */
    size_t T = 1000;
    static const double ends[2] = {TSF_NN_PRUNE_END_ATTN, TSF_NN_PRUNE_END};
    assert_true(ends[0] == 0.3 && ends[1] == 0.5);
    for (int e = 0; e < 2; e++) {
        double end = ends[e];
        size_t last = (size_t)(end * 1000.0 + 0.5) - 1; /* 299 or 499 */
        assert_true(tsf_nn_prune_target(0.9, 0, T, end) == 0.0);
        assert_true(tsf_nn_prune_target(0.9, 98, T, end) == 0.0);
        assert_true(tsf_nn_prune_target(0.9, last - 1, T, end) < 0.9);
        assert_true(tsf_nn_prune_target(0.9, last, T, end) == 0.9);
        assert_true(tsf_nn_prune_target(0.9, 999, T, end) == 0.9);
        for (size_t t = 100; t < last; t += 37) {
            double u = ((double)t + 1.0 - 100.0) / ((end - 0.1) * 1000.0);
            assert_rel(tsf_nn_prune_target(0.9, t, T, end), 0.9 * (1.0 - pow(1.0 - u, 3.0)),
                       1e-12, 1e-15);
            assert_true(tsf_nn_prune_target(0.9, t, T, end) <=
                        tsf_nn_prune_target(0.9, t + 1, T, end));
        }
        /* the learning rate starts again at the first step after the one
         * that reaches S: end x T, whatever T (10 epochs: 200 steps, the
         * transformer restarts at 60) */
        assert_int_equal(tsf_nn_prune_end_step(1000, end), last + 1);
        assert_int_equal(tsf_nn_prune_end_step(200, end), e ? 100 : 60);
        for (size_t n = 3; n < 400; n += 7) {
            size_t s = tsf_nn_prune_end_step(n, end);
            assert_true(s >= 1 && s <= n);
            assert_true(tsf_nn_prune_target(0.9, s - 1, n, end) == 0.9);
            if (s >= 2) assert_true(tsf_nn_prune_target(0.9, s - 2, n, end) < 0.9);
        }
    }
    /* the recipes of the architectures */
    tsf_nn_config tc = {.arch = &tsf_nn_arch_transformer}, gc = {.arch = &tsf_nn_arch_gru};
    tsf_nn tn = {.cfg = tc}, gn = {.cfg = gc};
    assert_true(tsf_nn_prune_end(&tn) == 0.3 && tsf_nn_arch_transformer.prune_rescale == 1);
    assert_true(tsf_nn_prune_end(&gn) == 0.5 && tsf_nn_arch_gru.prune_rescale == 0);
    /* densities at which the step keeps a sparse kernel (prune.h) */
    assert_true(tsf_nn_prune_max_density(0.9) == TSF_NN_SPARSE_MAX_DENSITY_B);
    assert_true(tsf_nn_prune_max_density(0.85) == TSF_NN_SPARSE_MAX_DENSITY_B);
    assert_true(tsf_nn_prune_max_density(0.7) == TSF_NN_SPARSE_MAX_DENSITY);
    assert_true(tsf_nn_prune_max_density(0.3) == 1.0);
    assert_int_equal(tsf_nn_prune_blocks(60, 20), 8 * 20);
    assert_int_equal(tsf_nn_prune_count(0.9, 160), 144);
    assert_int_equal(tsf_nn_prune_count(0.5, 3), 2);
}

typedef struct {
    double v;
    size_t k;
} blk;

static int by_v(const void *a, const void *b)
{
    const blk *x = a, *y = b;
    return x->v < y->v ? -1 : x->v > y->v ? 1 : (x->k > y->k) - (x->k < y->k);
}

/* One mask update from dense to S = 0.9 against the rule written out
 * directly: per matrix the blocks' squared norms in increasing order,
 * the first ceil(0.85 nb) pruned (density <= 0.15), then of the rest
 * the globally smallest LAMP scores v_i / sum_{l >= i} v_l until
 * round(0.9 x all blocks); with the recipe's rescaling the rows that
 * lost weights rescaled to their old norm, the others untouched; without
 * it every survivor keeps its weight. */
static void lamp_case(int rescale)
{
    /* the GRU's recipe (ramp to 0.5, no rescaling) on gru(hidden=24,
     * layers=2): three (72, 24) matrices of 216 blocks; the transformer's
     * (ramp to 0.3, rescaling) on transformer(d=24, heads=2, layers=1):
     * qkv (72, 24), mlp.fc (96, 24) and mlp.proj (24, 96) */
    tsf_nn_config cfg = {.arch = rescale ? &tsf_nn_arch_transformer : &tsf_nn_arch_gru,
                         .head = TSF_NN_HEAD_GAUSSIAN, .hidden = 24, .layers = 2 - rescale,
                         .heads = 2, .context = 8, .period = 1, .sparsity = 0.9};
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    size_t idx[3], np = 0, N = 0;
    for (size_t j = 0; j < nn->ntens; j++)
        if (tsf_nn_prunable(&nn->tens[j])) idx[np++] = j;
    assert_int_equal(np, 3);
    /* matrices of different scales: LAMP moves blocks between them */
    static const double scale[3] = {1.0, 0.3, 2.0};
    for (size_t i = 0; i < nn->nparams; i++) nn->params[i] = (float)gsl_ran_gaussian(r, 0.1);
    for (size_t m = 0; m < 3; m++) {
        const tsf_nn_tensor *t = &nn->tens[idx[m]];
        for (size_t i = 0; i < t->shape[0] * t->shape[1]; i++)
            nn->params[t->off + i] =
                (float)(scale[m] * gsl_ran_gaussian(r, 1.0 + (double)(i % 7)));
        N += tsf_nn_prune_blocks(t->shape[0], t->shape[1]);
    }
    float *old = malloc(nn->nparams * sizeof *old);
    memcpy(old, nn->params, nn->nparams * sizeof *old);
    /* the reference selection */
    unsigned char *want = calloc(N, 1);
    blk *b = malloc(N * sizeof *b), *pool = malloc(N * sizeof *pool);
    size_t npool = 0, forced = 0, base = 0;
    assert_true(N == (rescale ? 216u + 288 + 288 : 648u));
    for (size_t m = 0; m < 3; m++) {
        const tsf_nn_tensor *t = &nn->tens[idx[m]];
        size_t R = t->shape[0], C = t->shape[1], nb = tsf_nn_prune_blocks(R, C);
        for (size_t k = 0; k < nb; k++) {
            double v = 0.0;
            for (size_t row = (k / C) * 8; row < R && row < (k / C) * 8 + 8; row++) {
                double x = old[t->off + row * C + k % C];
                v += x * x;
            }
            b[k] = (blk){v, k};
        }
        qsort(b, nb, sizeof *b, by_v);
        size_t mn = (size_t)ceil(0.85 * (double)nb);
        for (size_t i = 0; i < mn; i++) want[base + b[i].k] = 1;
        forced += mn;
        for (size_t i = mn; i < nb; i++) {
            double tail = 0.0;
            for (size_t l = i; l < nb; l++) tail += b[l].v;
            pool[npool++] = (blk){b[i].v / tail, base + b[i].k};
        }
        base += nb;
    }
    qsort(pool, npool, sizeof *pool, by_v);
    size_t total = (size_t)floor(0.9 * (double)N + 0.5);
    for (size_t i = 0; i < total - forced; i++) want[pool[i].k] = 1;
    /* one update, straight to S (the last step of the ramp) */
    tsf_nn_pruner *p;
    assert_int_equal(tsf_nn_pruner_new(nn, 100, &p), TSF_OK);
    assert_int_equal(tsf_nn_pruner_apply(p, nn->params, rescale ? 29 : 49), TSF_OK);
    assert_true(tsf_nn_pruner_done(p));
    base = 0;
    size_t got = 0, moved = 0;
    for (size_t m = 0; m < 3; m++) {
        const tsf_nn_tensor *t = &nn->tens[idx[m]];
        size_t R = t->shape[0], C = t->shape[1], nb = tsf_nn_prune_blocks(R, C), zb = 0;
        const float *w = nn->params + t->off, *w0 = old + t->off;
        for (size_t k = 0; k < nb; k++) {
            int z = w[(k / C) * 8 * C + k % C] == 0.0f;
            assert_int_equal(z, want[base + k]);
            zb += z;
        }
        assert_true((double)(nb - zb) / (double)nb <= TSF_NN_SPARSE_MAX_DENSITY_B);
        moved += zb != (size_t)floor(0.9 * (double)nb + 0.5);
        got += zb;
        for (size_t row = 0; row < R; row++) {
            double a0 = 0.0, a1 = 0.0, f = NAN;
            int lost = 0, kept = 0;
            for (size_t c = 0; c < C; c++) {
                a0 += (double)w0[row * C + c] * w0[row * C + c];
                a1 += (double)w[row * C + c] * w[row * C + c];
                lost |= want[base + (row / 8) * C + c];
                kept |= !want[base + (row / 8) * C + c];
            }
            /* the row's norm is kept (a row with every block pruned is 0) */
            if (!kept) assert_true(a1 == 0.0);
            else if (rescale) assert_rel(a1, a0, 1e-6, 0.0);
            for (size_t c = 0; c < C; c++) {
                if (want[base + (row / 8) * C + c]) continue;
                /* survivors: the old weight times one factor per row, 1
                 * for a row that lost nothing */
                double q = (double)w[row * C + c] / w0[row * C + c];
                if (isnan(f)) f = q;
                assert_rel(q, f, 1e-6, 0.0);
            }
            if (!lost || !rescale) assert_true(isnan(f) || f == 1.0);
        }
        base += nb;
    }
    assert_int_equal(got, total);
    assert_true(moved > 0); /* not the uniform allocation */
    /* masks only grow and stay fixed once done: nothing changes later */
    memcpy(old, nn->params, nn->nparams * sizeof *old);
    assert_int_equal(tsf_nn_pruner_apply(p, nn->params, 50), TSF_OK);
    assert_memory_equal(old, nn->params, nn->nparams * sizeof *old);
    tsf_nn_pruner_free(p);
    free(want);
    free(b);
    free(pool);
    free(old);
    gsl_rng_free(r);
    tsf_nn_free(nn);
}

static void test_lamp_rescale(void **state)
{
    (void)state;
    lamp_case(0);
    lamp_case(1);
}

/* out = inp W^T + b in double, the slow way */
static void dense_ref(double *out, const float *inp, const float *w, const float *b, size_t B,
                      size_t C, size_t OC)
{
    for (size_t i = 0; i < B; i++)
        for (size_t o = 0; o < OC; o++) {
            double s = b[o];
            for (size_t c = 0; c < C; c++) s += (double)inp[i * C + c] * w[o * C + c];
            out[i * OC + o] = s;
        }
}

/* tsf_nn_linear through the sparse copy vs the dense reference, for
 * shapes whose rows are and are not a multiple of the block, and row
 * counts on both sides of the 8-row tiles. */
static void test_kernel_equals_dense(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    /* gru(hidden=20): weight_hh (60, 20) (60 = 7 blocks of 8 + one of 4);
     * hidden=24: (72, 24), whole blocks */
    for (int hid = 20; hid <= 24; hid += 4) {
        tsf_nn_config cfg = {.arch = &tsf_nn_arch_gru, .head = TSF_NN_HEAD_GAUSSIAN,
                             .hidden = hid, .layers = 2, .context = 8, .period = 1};
        tsf_nn *nn;
        assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
        assert_int_equal(tsf_nn_init(nn, 1), TSF_OK);
        size_t H = (size_t)hid, OC = 3 * H, nb = tsf_nn_prune_blocks(OC, H), zeroed = 0;
        float *w = nn->params + nn->lo[1].w_hh;
        /* zero 80% of the blocks, at random */
        for (size_t k = 0; k < nb; k++) {
            if (gsl_rng_uniform(r) >= 0.8) continue;
            zeroed++;
            for (size_t row = (k / H) * 8; row < OC && row < (k / H) * 8 + 8; row++)
                w[row * H + k % H] = 0.0f;
        }
        assert_int_equal(tsf_nn_sparsify(nn), TSF_OK);
        size_t nmat, nblk;
        tsf_nn_sparse_stats(nn, &nmat, &nblk);
        /* w_hh of both layers and w_ih of layer 2 are prunable (> 1000); only
         * the zeroed one is sparse enough */
        assert_int_equal(nmat, 1);
        assert_int_equal(nblk, nb - zeroed);
        for (size_t B = 1; B <= 19; B += 6) {
            float *x = malloc(B * H * sizeof *x), *o = malloc(B * OC * sizeof *o);
            double *ref = malloc(B * OC * sizeof *ref);
            for (size_t i = 0; i < B * H; i++) x[i] = (float)gsl_ran_gaussian(r, 1.0);
            tsf_nn_linear(nn, o, x, nn->lo[1].w_hh, nn->lo[1].b_hh, B, H, OC);
            dense_ref(ref, x, w, nn->params + nn->lo[1].b_hh, B, H, OC);
            for (size_t i = 0; i < B * OC; i++) assert_close(o[i], ref[i], 2e-6);
            /* and the dense BLAS kernel on the same weights */
            nn->be->matmul_forward(o, x, w, nn->params + nn->lo[1].b_hh, B, H, OC);
            for (size_t i = 0; i < B * OC; i++) assert_close(o[i], ref[i], 2e-6);
            free(x);
            free(o);
            free(ref);
        }
        tsf_nn_free(nn);
    }
    gsl_rng_free(r);
}

static double *tar_series(size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double *y = malloc(n * sizeof *y), a = 0.0;
    assert_non_null(y);
    for (size_t t = 0; t < n; t++) {
        double v = a <= 0.0 ? 1.0 + 0.6 * a + gsl_ran_gaussian(r, 1.0)
                            : -0.5 * a + gsl_ran_gaussian(r, 0.4);
        y[t] = 3.0 + v;
        a = v;
    }
    gsl_rng_free(r);
    return y;
}

static tsf_model *fit(const char *spec, const double *y, size_t n, int epochs)
{
    tsf_model *m;
    if (tsf_model_new(spec, &m)) fail_msg("%s: %s", spec, tsf_errmsg());
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = epochs;
    o.seed = 2;
    if (tsf_fit(m, y, n, NULL, 1, &o)) fail_msg("fit %s: %s", spec, tsf_errmsg());
    return m;
}

static const char *const pruned_specs[] = {
    "gru(hidden=20, layers=2, context=16, sparsity=0.7)",
    "lstm(hidden=16, layers=1, context=16, sparsity=0.9, head=student-t)",
    "transformer(d=32, heads=2, layers=1, context=12, sparsity=0.85)",
    "wavenet(channels=32, skip=32, layers=2, context=8, sparsity=0.6)",
};
static const double pruned_s[] = {0.7, 0.9, 0.85, 0.6};

/* The matrices of > 1000 entries have round(S x all their blocks) zero
 * blocks together (one more per matrix at most, the rounding up of the
 * per-matrix floor), whole blocks only, each at most at
 * tsf_nn_prune_max_density(S) and with a sparse copy; the smaller
 * tensors are untouched. */
/* Checks the pruned structure; returns the number of pruned weights. */
static size_t check_sparsity(const tsf_nn *nn, double S)
{
    size_t npr = 0, pruned = 0, zball = 0, nball = 0;
    for (size_t j = 0; j < nn->ntens; j++) {
        const tsf_nn_tensor *t = &nn->tens[j];
        size_t n = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1), z = 0;
        const float *w = nn->params + t->off;
        for (size_t i = 0; i < n; i++) z += w[i] == 0.0f;
        if (!tsf_nn_prunable(t)) {
            /* dense tensors: no exact zeros beyond a bias or two */
            assert_true(t->ndim == 1 || z == 0);
            continue;
        }
        npr++;
        size_t R = t->shape[0], C = t->shape[1], nb = tsf_nn_prune_blocks(R, C), zb = 0,
               zent = 0;
        for (size_t k = 0; k < nb; k++) {
            size_t cnt = 0, len = 0;
            for (size_t row = (k / C) * 8; row < R && row < (k / C) * 8 + 8; row++, len++)
                cnt += w[row * C + k % C] == 0.0f;
            assert_true(cnt == 0 || cnt == len); /* whole blocks only */
            zb += cnt == len;
            zent += cnt;
        }
        assert_true((double)(nb - zb) / (double)nb <= tsf_nn_prune_max_density(S));
        assert_int_equal(zent, z);
        pruned += z;
        zball += zb;
        nball += nb;
        if (R % 8 == 0) assert_rel((double)z / (double)n, (double)zb / (double)nb, 1e-12, 0.0);
    }
    assert_true(npr >= 1);
    assert_true(zball >= tsf_nn_prune_count(S, nball));
    assert_true(zball <= tsf_nn_prune_count(S, nball) + npr);
    size_t nmat, nblk;
    tsf_nn_sparse_stats(nn, &nmat, &nblk);
    assert_int_equal(nmat, npr);
    return pruned;
}

/* The sum of the training pass's nll over the whole series (dense
 * weights, B = 1, T = n), in data units. */
static double dense_pass_loglik(const tsf_neural *m, const double *y, size_t n)
{
    const tsf_nn *nn = m->nn;
    float *x = malloc(n * nn->nin * sizeof *x), *z = malloc(n * sizeof *z);
    tsf_nn_acts *a;
    assert_int_equal(tsf_nn_acts_new(nn, 1, n, &a), TSF_OK);
    size_t nobs = 0;
    for (size_t t = 0; t < n; t++) {
        tsf_nn_input(nn, t ? y[t - 1] / m->scale : NAN, NAN, NULL, x + t * nn->nin);
        z[t] = (float)(y[t] / m->scale);
        nobs += !isnan(y[t]);
    }
    double nll = tsf_nn_forward_backward(nn, a, x, z, 1, n, NULL, NULL, 1.0f);
    tsf_nn_acts_free(a);
    free(x);
    free(z);
    return -nll - (double)nobs * log(m->scale);
}

static void test_pruned_models(void **state)
{
    (void)state;
    size_t n = 160;
    double *y = tar_series(n, 11);
    char path[] = "/tmp/tsf_prune_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof pruned_specs / sizeof *pruned_specs; i++) {
        tsf_model *m = fit(pruned_specs[i], y, n, 6);
        const tsf_neural *nm = m->impl;
        size_t pruned = check_sparsity(nm->nn, pruned_s[i]);
        assert_non_null(strstr(nm->name, "sparsity="));
        /* AIC counts the estimated parameters: the pruned weights are fixed at 0 */
        tsf_fit_info fi;
        assert_int_equal(tsf_model_info(m, &fi), TSF_OK);
        assert_true(pruned > 0);
        assert_rel(fi.aic, -2.0 * fi.loglik + 2.0 * (double)(nm->nn->nparams - pruned), 1e-12, 1e-9);
        /* streaming (sparse kernels) = the dense training pass */
        double ll, ld = dense_pass_loglik(nm, y, n);
        assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
        print_message("%s: stream %.9g, dense pass %.9g\n", pruned_specs[i], ll, ld);
        assert_rel(ll, ld, 1e-5, 0.0);
        /* a streaming state (its own network copy, sparse too) gives the same terms */
        tsf_state *st;
        double sum = 0.0, lp;
        assert_int_equal(tsf_state_new(m, &st), TSF_OK);
        for (size_t t = 0; t < n; t++) {
            assert_int_equal(tsf_state_update(st, y[t], &lp), TSF_OK);
            sum += lp;
        }
        assert_true(sum == ll);
        tsf_state_free(st);
        /* save -> load: the same bits, the zeros in the file, the same loglik */
        assert_int_equal(tsf_save(m, path), TSF_OK);
        tsf_model *m2;
        assert_int_equal(tsf_load(path, &m2), TSF_OK);
        const tsf_neural *n2 = m2->impl;
        assert_int_equal(n2->nn->nparams, nm->nn->nparams);
        assert_memory_equal(n2->nn->params, nm->nn->params, nm->nn->nparams * sizeof(float));
        assert_true(n2->cfg.sparsity == nm->cfg.sparsity);
        check_sparsity(n2->nn, pruned_s[i]);
        double l2;
        assert_int_equal(tsf_loglik(m2, y, n, NULL, 0, &l2), TSF_OK);
        assert_true(l2 == ll);
        tsf_model_free(m2);
        tsf_model_free(m);
    }
    remove(path);
    free(y);
}

static void test_bad_specs(void **state)
{
    (void)state;
    static const char *const bad[] = {"gru(sparsity=1)", "transformer(d=32, sparsity=1.5)",
                                      "lstm(sparsity=-0.1)", "wavenet(sparsity=dense)"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tsf_model *m = NULL;
        assert_int_not_equal(tsf_model_new(bad[i], &m), TSF_OK);
        assert_null(m);
        const char *e = tsf_errmsg();
        print_message("%s -> %s\n", bad[i], e);
        assert_non_null(strstr(e, bad[i]));
        assert_non_null(strstr(e, "sparsity"));
        assert_null(strchr(e, '\n'));
    }
    tsf_model *m;
    assert_int_equal(tsf_model_new("gru(sparsity=0)", &m), TSF_OK);
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_lamp_rescale),
        cmocka_unit_test(test_kernel_equals_dense),
        cmocka_unit_test(test_pruned_models),
        cmocka_unit_test(test_bad_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
