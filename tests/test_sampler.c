/* Parallel sampling by fixed-point iteration (src/neural/sampler.c)
 * against ancestral sampling (stream.c) with the same seed: for the
 * transformer (dense, the sparse patterns, additive attention, pruned
 * block-sparse weights) and wavenet with every head, bit for bit the same
 * paths (the batch-invariant inference kernels, cpu_invariant.c), in at
 * most h iterations; after k iterations the first k steps are already
 * the ancestral ones; the same for fitted networks at h = 24, 96, 336 and
 * 384 (test sampler_fitted: the argument "fitted"); through the library's
 * forecast call the two samplers give the same forecast, and gru refuses
 * parallel. */
#include "testutil.h"
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "core/model_impl.h"
#include "neural/neural.h"
#include "neural/prune.h"

/* |a - b| relative to max(|a|, 1) (scaled units: the data's scale is 1
 * here), for the messages: the samplers must agree exactly */
static double rel_err(double a, double b) { return fabs(a - b) / fmax(fabs(a), 1.0); }

/* Variants of the transformer beyond its attention patterns */
#define ADDITIVE 10 /* attention=additive */
#define PRUNED 11   /* d = 32, half of the 8x1 weight blocks zero: the step runs the
                     * block-sparse kernel, the pass the dense one */

/* pattern: the transformer's attention pattern (attn_pattern.h); a sparse
 * one gets a window of 9 and band 1 (logsparse: offsets 0, 1, 2, 4, 8);
 * or ADDITIVE, PRUNED */
static tsf_nn *small_net(const tsf_nn_arch_ops *arch, tsf_nn_head head, gsl_rng *r, int pattern)
{
    int hn = head == TSF_NN_HEAD_MIXTURE ? 3 : head == TSF_NN_HEAD_BINNED ? 32 : 0;
    /* transformer: 2 layers, window 5 (reach 8); wavenet: 3 layers, kernel
     * 2, 2 stacks (reach 14); period 4 (lag inputs) */
    tsf_nn_config cfg = {.arch = arch, .head = head, .hidden = 8, .layers = arch ==
                         &tsf_nn_arch_wavenet ? 3 : 2, .heads = 2, .context = 5, .period = 4,
                         .head_n = hn, .head_lo = -3.0, .head_hi = 3.0};
    if (pattern == PRUNED) { /* d = 32: matrices above TSF_NN_PRUNE_MIN weights */
        cfg.hidden = 32;
        cfg.heads = 4;
    } else if (pattern == ADDITIVE) {
        cfg.hp[3] = 1;
    } else if (pattern && pattern != PRUNED) {
        cfg.context = 9;
        cfg.hp[0] = pattern;
        cfg.hp[1] = 1;
    }
    if (arch == &tsf_nn_arch_wavenet) { /* the transformer's hp: pattern dense */
        cfg.hp[0] = 6;
        cfg.hp[1] = 2;
        cfg.hp[2] = 2;
    }
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    assert_int_equal(tsf_nn_init(nn, 5), TSF_OK);
    /* weights away from the initialisation, so that the path feeds back */
    for (size_t i = 0; i < nn->nparams; i++) nn->params[i] += (float)gsl_ran_gaussian(r, 0.15);
    if (pattern == PRUNED) { /* every other 8x1 block of the prunable weights zero */
        for (size_t j = 0; j < nn->ntens; j++) {
            const tsf_nn_tensor *t = &nn->tens[j];
            if (!tsf_nn_prunable(t)) continue;
            for (size_t i = 0; i < t->shape[0]; i++)
                for (size_t k = 0; k < t->shape[1]; k++)
                    if ((i / 8 + k) % 2) nn->params[t->off + i * t->shape[1] + k] = 0.0f;
        }
        assert_int_equal(tsf_nn_sparsify(nn), TSF_OK);
        size_t nm, nb;
        tsf_nn_sparse_stats(nn, &nm, &nb);
        assert_true(nm > 0);
    }
    return nn;
}

/* Ancestral paths (S,h) after the history y (n values; n may be 0). */
static void ancestral_s(const tsf_nn *nn, double scale, const double *y, size_t n, size_t h,
                        size_t S, unsigned long seed, double *paths)
{
    tsf_nn_stream *s1, *s;
    assert_int_equal(tsf_nn_stream_new(nn, scale, 1, &s1), TSF_OK);
    for (size_t t = 0; t < n; t++) tsf_nn_stream_update(s1, y[t], NULL, NULL);
    assert_int_equal(tsf_nn_stream_fork(s1, S, &s), TSF_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    assert_int_equal(tsf_nn_stream_sample(s, h, r, paths), TSF_OK);
    gsl_rng_free(r);
    tsf_nn_stream_free(s);
    tsf_nn_stream_free(s1);
}

static void ancestral(const tsf_nn *nn, const double *y, size_t n, size_t h, size_t S,
                      unsigned long seed, double *paths)
{
    ancestral_s(nn, 1.0, y, n, h, S, seed, paths);
}

static size_t parallel_s(const tsf_nn *nn, double scale, const double *y, size_t n, size_t h,
                         size_t S, unsigned long seed, size_t max_iter, double *paths)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    size_t it = 0;
    assert_int_equal(tsf_nn_sample_parallel(nn, scale, y, n, h, S, r, max_iter, paths, &it),
                     TSF_OK);
    gsl_rng_free(r);
    return it;
}

static size_t parallel(const tsf_nn *nn, const double *y, size_t n, size_t h, size_t S,
                       unsigned long seed, size_t max_iter, double *paths)
{
    return parallel_s(nn, 1.0, y, n, h, S, seed, max_iter, paths);
}

/* The number of values where a and b (N) differ in any bit, and the
 * largest relative difference. */
static size_t ndiff(const double *a, const double *b, size_t N, double *worst)
{
    size_t d = 0;
    *worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        d += memcmp(a + i, b + i, sizeof *a) != 0;
        *worst = fmax(*worst, rel_err(a[i], b[i]));
    }
    return d;
}

static const char *const heads[] = {"gaussian", "student-t", "mixture", "binned"};

static void run_case(const tsf_nn_arch_ops *arch, tsf_nn_head head, gsl_rng *r, int pattern)
{
    tsf_nn *nn = small_net(arch, head, r, pattern);
    size_t S = 7, h = 25, nmax = 30;
    double *y = malloc(nmax * sizeof *y), *pa = malloc(S * h * sizeof *pa);
    double *pp = malloc(S * h * sizeof *pp);
    for (size_t t = 0; t < nmax; t++)
        y[t] = 0.7 * sin(0.9 * (double)t) + 0.3 * gsl_ran_gaussian(r, 1);
    y[nmax - 3] = NAN; /* a missing value in the window */
    /* history longer than the reach (the pass starts inside it), shorter
     * (from the series' start) and none (simulation) */
    size_t ns[3] = {nmax, 3, 0};
    for (int c = 0; c < 3; c++) {
        size_t n = ns[c];
        const double *yh = n ? y + (nmax - n) : NULL;
        ancestral(nn, yh, n, h, S, 41 + (unsigned long)c, pa);
        size_t it = parallel(nn, yh, n, h, S, 41 + (unsigned long)c, 0, pp);
        double worst, spread = 0.0;
        size_t nd = ndiff(pa, pp, S * h, &worst);
        for (size_t i = 0; i < S * h; i++) spread = fmax(spread, fabs(pa[i] - pa[i % h]));
        print_message("%s+%s (variant %d), history %zu: %zu iterations for h = %zu, %zu values "
                      "differ, worst relative difference %.2e\n", arch->name, heads[head],
                      pattern, n, it, h, nd, worst);
        assert_true(spread > 1e-3); /* the paths differ: the noise reaches them */
        assert_true(it >= 1 && it <= h);
        if (nd) fail_msg("parallel != ancestral in %zu values (worst %.3e)", nd, worst);
        /* the convergence order: after k iterations the first k steps are
         * the ancestral ones */
        if (c == 0) {
            size_t ks[3] = {1, 4, 11};
            for (int j = 0; j < 3; j++) {
                size_t k = ks[j];
                assert_int_equal(parallel(nn, yh, n, h, S, 41, k, pp), k < it ? k : it);
                for (size_t b = 0; b < S; b++)
                    for (size_t t = 0; t < k; t++)
                        if (memcmp(pa + b * h + t, pp + b * h + t, sizeof *pa))
                            fail_msg("%zu iterations: step %zu of path %zu not exact (%.9g vs "
                                     "%.9g)", k, t + 1, b, pp[b * h + t], pa[b * h + t]);
            }
        }
    }
    free(y); free(pa); free(pp);
    tsf_nn_free(nn);
}

static void test_transformer(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int hd = 0; hd < 4; hd++) run_case(&tsf_nn_arch_transformer, (tsf_nn_head)hd, r, 0);
    /* the sparse patterns: the sampler's window follows their reach */
    for (int pat = TSF_NN_PAT_LOCAL; pat <= TSF_NN_PAT_STRIDED; pat++)
        run_case(&tsf_nn_arch_transformer, TSF_NN_HEAD_GAUSSIAN, r, pat);
    run_case(&tsf_nn_arch_transformer, TSF_NN_HEAD_STUDENT_T, r, ADDITIVE);
    run_case(&tsf_nn_arch_transformer, TSF_NN_HEAD_MIXTURE, r, PRUNED);
    gsl_rng_free(r);
}

static void test_wavenet(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int hd = 0; hd < 4; hd++) run_case(&tsf_nn_arch_wavenet, (tsf_nn_head)hd, r, 0);
    gsl_rng_free(r);
}

/* The draws of the gaussian (mu + sigma e) and student-t (quantile of a
 * uniform) heads from tsf_nn_noise: their mean and variance against the
 * closed forms mu, sigma^2 and sigma^2 nu / (nu - 2). */
static void test_param_draws(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    float o[3] = {0.7f, 1.2f, 6.0f}; /* mu, raw sigma, raw nu (nu ~ 8) */
    for (int hd = 0; hd < 2; hd++) {
        tsf_nn_config c = {.head = (tsf_nn_head)hd};
        const tsf_nn_head_ops *h = tsf_nn_head_get(c.head);
        double sg = log1p(exp(1.2)) + TSF_NN_SIGMA_MIN, nu = 2.0 + log1p(exp(6.0));
        double var = hd ? sg * sg * nu / (nu - 2.0) : sg * sg, s1 = 0.0, s2 = 0.0;
        size_t N = 400000;
        for (size_t i = 0; i < N; i++) {
            double z = h->draw(&c, o, tsf_nn_noise(h, r));
            s1 += z;
            s2 += z * z;
        }
        double m = s1 / (double)N, v = s2 / (double)N - m * m;
        print_message("%s draws: mean %.4f (%.4f), variance %.4f (%.4f)\n", h->name, m, 0.7, v,
                      var);
        assert_close(m, 0.7, 5.0 * sqrt(var / (double)N));
        assert_close(v, var, 0.03 * var);
    }
    gsl_rng_free(r);
}

/* The mixture's and the binned head's draws are quantiles: the CDF,
 * written out here from the densities of docs/neural.md, at the draw of
 * u is u. */
static double mix_cdf(const float *o, size_t M, double z)
{
    double Z = 0.0, F = 0.0;
    for (size_t k = 0; k < M; k++) Z += exp(o[k]);
    for (size_t k = 0; k < M; k++)
        F += exp(o[k]) / Z * gsl_cdf_gaussian_P(z - o[M + k], log1p(exp(o[2 * M + k])) + 1e-4);
    return F;
}

static double bin_cdf(const float *o, size_t N, double lo, double hi, double z)
{
    double Z = 0.0, tau = (hi - lo) / 16.0, w = (hi - lo) / (double)(N - 2), F;
    for (size_t k = 0; k < N; k++) Z += exp(o[k]);
    if (z < lo) return exp(o[0]) / Z * exp(-(lo - z) / tau);
    F = exp(o[0]) / Z;
    for (size_t j = 1; j + 1 < N; j++) {
        double a = lo + (double)(j - 1) * w, p = exp(o[j]) / Z;
        if (z < a + w) return F + p * (z - a) / w;
        F += p;
    }
    return 1.0 - exp(o[N - 1]) / Z * exp(-(z - hi) / tau);
}

static void test_quantiles(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    float om[9] = {0.3f, -1.0f, 0.8f, -2.0f, 0.5f, 2.5f, -1.0f, 0.2f, -0.5f};
    float ob[16];
    for (size_t k = 0; k < 16; k++) ob[k] = (float)gsl_ran_gaussian(r, 1.0);
    tsf_nn_config cm = {.head = TSF_NN_HEAD_MIXTURE, .head_n = 3};
    tsf_nn_config cb = {.head = TSF_NN_HEAD_BINNED, .head_n = 16, .head_lo = -2.0,
                        .head_hi = 3.0};
    const tsf_nn_head_ops *hm = tsf_nn_head_get(cm.head), *hb = tsf_nn_head_get(cb.head);
    double wm = 0.0, wb = 0.0;
    for (int i = 0; i < 2000; i++) {
        /* uniform, and far into both tails */
        double u = i < 1000 ? gsl_rng_uniform_pos(r)
                   : i % 2 ? 1e-9 * (i - 999) : 1 - 1e-9 * (i - 999);
        /* relative to the tail probability, plus the rounding of 1 - u */
        double tol = 1e-8 * fmin(u, 1 - u) + 1e-15;
        wm = fmax(wm, fabs(mix_cdf(om, 3, hm->draw(&cm, om, u)) - u) / tol);
        wb = fmax(wb, fabs(bin_cdf(ob, 16, -2.0, 3.0, hb->draw(&cb, ob, u)) - u) / tol);
    }
    print_message("quantiles: worst |F(draw(u)) - u| / (1e-8 min(u, 1-u) + 1e-15): mixture "
                  "%.2f, binned %.2f\n", wm, wb);
    assert_true(wm <= 1.0 && wb <= 1.0);
    gsl_rng_free(r);
}

/* Through tsf_forecast: a fitted model's forecasts by either sampler
 * agree; gru refuses parallel with a message naming it, but auto works. */
static void test_forecast_api(void **state)
{
    (void)state;
    size_t n = 120;
    double *y = malloc(n * sizeof *y);
    for (size_t t = 0; t < n; t++) y[t] = 10.0 + 3.0 * sin(0.5 * (double)t) + 0.1 * (double)(t % 7);
    const char *specs[] = {"transformer(d=8, heads=2, layers=1, context=16, head=student-t)",
                           "wavenet(channels=8, skip=8, layers=3, head=mixture)",
                           "gru(hidden=8, layers=1, context=16)"};
    double lv[1] = {90.0};
    for (int k = 0; k < 3; k++) {
        tsf_model *m;
        assert_int_equal(tsf_model_new(specs[k], &m), TSF_OK);
        tsf_fit_opts fo = {.epochs = 1, .seed = 3};
        assert_int_equal(tsf_fit(m, y, n, NULL, 0, &fo), TSF_OK);
        tsf_forecast_opts o;
        tsf_forecast_opts_init(&o);
        o.seed = 9;
        o.samples = 50;
        o.sampler = TSF_SAMPLER_ANCESTRAL;
        tsf_forecast_result *a, *p;
        assert_int_equal(tsf_forecast(m, y, n, NULL, 12, lv, 1, &o, &a), TSF_OK);
        o.sampler = TSF_SAMPLER_PARALLEL;
        tsf_status st = tsf_forecast(m, y, n, NULL, 12, lv, 1, &o, &p);
        if (k == 2) {
            assert_int_equal(st, TSF_EUNSUP);
            assert_non_null(strstr(tsf_errmsg(), "gru"));
            assert_non_null(strstr(tsf_errmsg(), "ancestral"));
            o.sampler = TSF_SAMPLER_AUTO;
            assert_int_equal(tsf_forecast(m, y, n, NULL, 12, lv, 1, &o, &p), TSF_OK);
        } else {
            assert_int_equal(st, TSF_OK);
        }
        for (size_t i = 0; i < 12; i++) {
            /* the same paths, so the same summaries */
            assert_true(p->mean[i] == a->mean[i]);
            assert_true(p->lower[i] == a->lower[i]);
            assert_true(p->upper[i] == a->upper[i]);
        }
        tsf_forecast_free(a);
        tsf_forecast_free(p);
        tsf_model_free(m);
    }
    free(y);
}

/* Fitted networks (2 epochs on a seasonal series with AR(1) noise), every
 * head, 16 paths of 384 steps: the parallel sampler's paths are the
 * ancestral ones bit for bit, at h = 24, 96, 336 and 384 (each its own
 * run: the pass and the iterations differ, the noise of step k does not).
 * For scale, the ancestral paths after the last observation is changed
 * by 1e-7 relative are printed: how much the fitted network amplifies a
 * rounding difference (what the old pass's rounding differences became). */
static void fitted_case(const char *arch, int head)
{
    size_t n = 480, hmax = 384, S = 16, hs[4] = {24, 96, 336, 384};
    double *y = malloc(n * sizeof *y), *pa = malloc(S * hmax * sizeof *pa);
    double *pp = malloc(S * hmax * sizeof *pp), *pq = malloc(S * hmax * sizeof *pq);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    double u = 0.0;
    for (size_t t = 0; t < n; t++) {
        u = 0.8 * u + gsl_ran_gaussian(r, 1.0);
        y[t] = 20.0 + 6.0 * sin(2.0 * M_PI * (double)t / 12.0) + u;
    }
    char spec[160];
    if (!strcmp(arch, "transformer"))
        snprintf(spec, sizeof spec, "transformer(d=16, heads=2, layers=2, context=24, head=%s)",
                 heads[head]);
    else
        snprintf(spec, sizeof spec, "wavenet(channels=16, skip=16, layers=4, head=%s)",
                 heads[head]);
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts fo = {.epochs = 2, .seed = 3};
    assert_int_equal(tsf_fit(m, y, n, NULL, 12, &fo), TSF_OK);
    const tsf_neural *nm = m->impl;
    for (int j = 0; j < 4; j++) {
        size_t h = hs[j];
        ancestral_s(nm->nn, nm->scale, y, n, h, S, 23, pa);
        size_t it = parallel_s(nm->nn, nm->scale, y, n, h, S, 23, 0, pp);
        double worst, wq;
        size_t nd = ndiff(pa, pp, S * h, &worst);
        if (h == hmax) {
            y[n - 1] *= 1.0 + 1e-7;
            ancestral_s(nm->nn, nm->scale, y, n, h, S, 23, pq);
            for (size_t i = 0; i < S * h; i++) pq[i] /= nm->scale, pa[i] /= nm->scale;
            ndiff(pa, pq, S * h, &wq);
        }
        print_message("%s: %zu iterations for h = %zu; %zu values differ (worst %.2e)", spec,
                      it, h, nd, worst);
        if (h == hmax)
            print_message("; ancestral after a 1e-7 change of the last value: %.2e", wq);
        print_message("\n");
        if (nd) fail_msg("%s: parallel != ancestral in %zu values (worst %.3e)", spec, nd, worst);
        assert_true(it >= 1 && it <= h);
    }
    gsl_rng_free(r);
    free(y); free(pa); free(pp); free(pq);
    tsf_model_free(m);
}

static void test_fitted_transformer(void **state)
{
    (void)state;
    for (int hd = 0; hd < 4; hd++) fitted_case("transformer", hd);
}

static void test_fitted_wavenet(void **state)
{
    (void)state;
    for (int hd = 0; hd < 4; hd++) fitted_case("wavenet", hd);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "fitted")) {
        const struct CMUnitTest fitted[] = {
            cmocka_unit_test(test_fitted_transformer),
            cmocka_unit_test(test_fitted_wavenet),
        };
        return cmocka_run_group_tests(fitted, NULL, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transformer),
        cmocka_unit_test(test_wavenet),
        cmocka_unit_test(test_param_draws),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_forecast_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
