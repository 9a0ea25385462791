/* Parallel sampling by fixed-point iteration (src/neural/sampler.c)
 * against ancestral sampling (stream.c) with the same seed: for the
 * transformer and wavenet with every head, the same paths to 1e-5
 * relative, in at most h iterations; after k iterations the first k steps
 * are already the ancestral ones; through the library's forecast call the
 * two samplers give the same forecast, and gru refuses parallel. */
#include "testutil.h"
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "neural/neural.h"

#define REL 1e-5

/* |a - b| <= REL relative to max(|a|, 1) (scaled units: the data's
 * scale is 1 here) */
static double rel_err(double a, double b) { return fabs(a - b) / fmax(fabs(a), 1.0); }

/* pattern: the transformer's attention pattern (attn_pattern.h); a sparse
 * one gets a window of 9 and band 1 (logsparse: offsets 0, 1, 2, 4, 8) */
static tsf_nn *small_net(const tsf_nn_arch_ops *arch, tsf_nn_head head, gsl_rng *r, int pattern)
{
    int hn = head == TSF_NN_HEAD_MIXTURE ? 3 : head == TSF_NN_HEAD_BINNED ? 32 : 0;
    /* transformer: 2 layers, window 5 (reach 8); wavenet: 3 layers, kernel
     * 2, 2 stacks (reach 14); period 4 (lag inputs) */
    tsf_nn_config cfg = {.arch = arch, .head = head, .hidden = 8, .layers = arch ==
                         &tsf_nn_arch_wavenet ? 3 : 2, .heads = 2, .context = 5, .period = 4,
                         .head_n = hn, .head_lo = -3.0, .head_hi = 3.0};
    if (pattern) {
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
    return nn;
}

/* Ancestral paths (S,h) after the history y (n values; n may be 0). */
static void ancestral(const tsf_nn *nn, const double *y, size_t n, size_t h, size_t S,
                      unsigned long seed, double *paths)
{
    tsf_nn_stream *s1, *s;
    assert_int_equal(tsf_nn_stream_new(nn, 1.0, 1, &s1), TSF_OK);
    for (size_t t = 0; t < n; t++) tsf_nn_stream_update(s1, y[t], NULL, NULL);
    assert_int_equal(tsf_nn_stream_fork(s1, S, &s), TSF_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    assert_int_equal(tsf_nn_stream_sample(s, h, r, paths), TSF_OK);
    gsl_rng_free(r);
    tsf_nn_stream_free(s);
    tsf_nn_stream_free(s1);
}

static size_t parallel(const tsf_nn *nn, const double *y, size_t n, size_t h, size_t S,
                       unsigned long seed, size_t max_iter, double *paths)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    size_t it = 0;
    assert_int_equal(tsf_nn_sample_parallel(nn, 1.0, y, n, h, S, r, max_iter, paths, &it),
                     TSF_OK);
    gsl_rng_free(r);
    return it;
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
        double worst = 0.0, spread = 0.0;
        for (size_t i = 0; i < S * h; i++) {
            worst = fmax(worst, rel_err(pa[i], pp[i]));
            spread = fmax(spread, fabs(pa[i] - pa[i % h]));
        }
        print_message("%s+%s, history %zu: %zu iterations for h = %zu, worst relative "
                      "difference %.2e\n", arch->name, heads[head], n, it, h, worst);
        assert_true(spread > 1e-3); /* the paths differ: the noise reaches them */
        assert_true(it >= 1 && it <= h);
        if (!(worst <= REL)) fail_msg("parallel != ancestral: %.3e", worst);
        /* the convergence order: after k iterations the first k steps are
         * the ancestral ones */
        if (c == 0) {
            size_t ks[3] = {1, 4, 11};
            for (int j = 0; j < 3; j++) {
                size_t k = ks[j];
                assert_int_equal(parallel(nn, yh, n, h, S, 41, k, pp), k < it ? k : it);
                for (size_t b = 0; b < S; b++)
                    for (size_t t = 0; t < k; t++)
                        if (!(rel_err(pa[b * h + t], pp[b * h + t]) <= REL))
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
            assert_close(p->mean[i], a->mean[i], REL * fabs(a->mean[i]));
            assert_close(p->lower[i], a->lower[i], REL * fabs(a->lower[i]));
            assert_close(p->upper[i], a->upper[i], REL * fabs(a->upper[i]));
        }
        tsf_forecast_free(a);
        tsf_forecast_free(p);
        tsf_model_free(m);
    }
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transformer),
        cmocka_unit_test(test_wavenet),
        cmocka_unit_test(test_param_draws),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_forecast_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
