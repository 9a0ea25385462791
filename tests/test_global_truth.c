/* Known truth for global models (tsf_fit_global, src/neural/global.c):
 * one network trained on two simulated series must reach each series'
 * held-out log-likelihood under the true process, sum log p(y_t | y_<t)
 * in closed form.
 *  - scales: AR(2) x_t = 0.6 x_{t-1} + 0.25 x_{t-2} + e_t, e_t ~ N(0,1),
 *    as y = c (5 + x) with c = 1 and c = 1000 (levels 1000 apart); the
 *    density of y is that of x less log c.  gru(), default options:
 *    within 0.05 nats/obs of the truth on both series.
 *  - embedding: AR(1) with phi = 0.8 and phi = -0.8 (noise N(0,1)).  A
 *    transformer that sees the last 2 positions (context=2) cannot tell
 *    them apart from the two values alone; with embed=4 it knows the
 *    series: within 0.05 nats/obs of the truth on both; without, at least
 *    0.05 nats/obs worse on average (the embedding is what closes it).
 *    Windows of 2 positions give 2 targets each: batches of 256 windows.
 *    (A GRU infers the sign of phi from the history it carries, so it
 *    would not show what the embedding adds.)
 * `test_global_truth scales|embed` runs one group. */
#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "core/model_impl.h"
#include "neural/neural.h"

#define NTRAIN 1500
#define NTEST 500
#define NALL (NTRAIN + NTEST)

/* y = c (level + x), x AR(2) with coefficients a1, a2; returns the true
 * held-out log-likelihood of y (nats, total). */
static double simulate(unsigned long seed, double a1, double a2, double level, double c,
                       double *y)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double p1 = 0.0, p2 = 0.0, truth = 0.0;
    for (size_t t = 0; t < NALL + 100; t++) {
        double mu = a1 * p1 + a2 * p2, x = mu + gsl_ran_gaussian(r, 1.0);
        if (t >= 100) {
            y[t - 100] = c * (level + x);
            if (t - 100 >= NTRAIN) truth += log(gsl_ran_gaussian_pdf(x - mu, 1.0)) - log(c);
        }
        p2 = p1;
        p1 = x;
    }
    gsl_rng_free(r);
    return truth;
}

/* Fits spec globally on the first NTRAIN values of y[0], y[1]; per-series
 * held-out log-likelihood per observation into ll[2]; the one-step
 * forecast of series b must lie above lo. */
static void fit_two(const char *spec, int batch, double *const *y, double *ll, double lo)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    const double *ys[2] = {y[0], y[1]};
    size_t ns[2] = {NTRAIN, NTRAIN};
    const char *ids[2] = {"a", "b"};
    double t0 = tsf_now();
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.batch = batch;
    if (tsf_fit_global(m, ys, ns, ids, 2, 1, &o)) fail_msg("%s: %s", spec, tsf_errmsg());
    double secs = tsf_now() - t0;
    const tsf_neural *nm = m->impl;
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(tsf_neural_series_loglik_x(nm, k, y[k], NALL, NULL, NTRAIN, &ll[k], NULL),
                         TSF_OK);
        ll[k] /= NTEST;
    }
    print_message("%s: fitted in %.1f s\n", spec, secs);
    /* forecasting needs the series named; an unknown one is an error */
    tsf_forecast_opts fo;
    tsf_forecast_opts_init(&fo);
    fo.samples = 50;
    tsf_forecast_result *fc = NULL;
    assert_int_equal(tsf_forecast(m, y[0], NTRAIN, NULL, 2, NULL, 0, &fo, &fc), TSF_EINVAL);
    fo.series = "c";
    assert_int_equal(tsf_forecast(m, y[0], NTRAIN, NULL, 2, NULL, 0, &fo, &fc), TSF_EINVAL);
    fo.series = "b";
    assert_int_equal(tsf_forecast(m, y[1], NTRAIN, NULL, 2, NULL, 0, &fo, &fc), TSF_OK);
    /* the forecast is on the series' own level */
    assert_true(fc->mean[0] > lo);
    tsf_forecast_free(fc);
    tsf_model_free(m);
}

static void test_scales(void **s)
{
    (void)s;
    double *y[2] = {malloc(NALL * sizeof(double)), malloc(NALL * sizeof(double))};
    double truth[2] = {simulate(1, 0.6, 0.25, 5.0, 1.0, y[0]) / NTEST,
                       simulate(2, 0.6, 0.25, 5.0, 1000.0, y[1]) / NTEST};
    double ll[2];
    fit_two("gru(ensemble=1)", 0, y, ll, 1000.0);
    for (int k = 0; k < 2; k++) {
        print_message("scales: series %d (level x%g): held-out %.4f nats/obs, truth %.4f, "
                      "gap %.4f\n", k, k ? 1000.0 : 1.0, ll[k], truth[k], truth[k] - ll[k]);
        assert_true(truth[k] - ll[k] < 0.05);
    }
    free(y[0]);
    free(y[1]);
}

static void test_embed(void **s)
{
    (void)s;
    double *y[2] = {malloc(NALL * sizeof(double)), malloc(NALL * sizeof(double))};
    double truth[2] = {simulate(3, 0.8, 0.0, 0.0, 1.0, y[0]) / NTEST,
                       simulate(4, -0.8, 0.0, 0.0, 1.0, y[1]) / NTEST};
    double with[2], without[2];
    fit_two("transformer(context=2, embed=4, ensemble=1)", 256, y, with, -100.0);
    fit_two("transformer(context=2, ensemble=1)", 256, y, without, -100.0);
    for (int k = 0; k < 2; k++) {
        print_message("embed: phi %+.1f: held-out %.4f with embed=4, %.4f without, truth "
                      "%.4f\n", k ? -0.8 : 0.8, with[k], without[k], truth[k]);
        assert_true(truth[k] - with[k] < 0.05);
    }
    double gain = 0.5 * (with[0] + with[1] - without[0] - without[1]);
    print_message("embed: the embedding gains %.4f nats/obs\n", gain);
    assert_true(gain > 0.05);
    free(y[0]);
    free(y[1]);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest scales[] = {cmocka_unit_test(test_scales)};
    const struct CMUnitTest embed[] = {cmocka_unit_test(test_embed)};
    int rc = 0;
    if (argc < 2 || !strcmp(argv[1], "scales")) rc |= cmocka_run_group_tests(scales, NULL, NULL);
    if (argc < 2 || !strcmp(argv[1], "embed")) rc |= cmocka_run_group_tests(embed, NULL, NULL);
    return rc;
}
