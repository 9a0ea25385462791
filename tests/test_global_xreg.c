/* Global neural models with regressors (tsf_fit_global_x, tsf batch
 * --global --xreg): one network over two series of different scales,
 * each y_t = b_s x_t + small noise with its own regressor column.
 *  - Each column is centred and scaled with its mean and standard
 *    deviation pooled over the rows of every series (a dense computation
 *    here), stored in the model and its file.
 *  - Known truth: forecasting a series with future x = +2 and -2 must give
 *    means near b_s * x (the network reads the regressor at the predicted
 *    step, through each series' own scale); without the regressor the
 *    forecast of white noise around 0 would be 0.
 *  - Save/load gives the same forecast bits; a series with another number
 *    of regressors, missing future rows or a trend are errors. */
#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "state_resume.h"
#include "core/model_impl.h"
#include "neural/neural.h"

#define NA 300
#define NB 200

static double ya[NA], yb[NB], xa[NA], xb[NB];

static void simulate(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    for (size_t t = 0; t < NA; t++) {
        xa[t] = gsl_ran_gaussian(r, 1.0);
        ya[t] = 3.0 * xa[t] + 0.3 * gsl_ran_gaussian(r, 1.0);
    }
    for (size_t t = 0; t < NB; t++) {
        xb[t] = 1.0 + 2.0 * gsl_ran_gaussian(r, 1.0);
        yb[t] = 50.0 + 20.0 * xb[t] + 2.0 * gsl_ran_gaussian(r, 1.0);
    }
    gsl_rng_free(r);
}

static void test_global_x(void **state)
{
    (void)state;
    simulate();
    const char *names[1] = {"x"};
    tsf_xreg XA = {1, xa, NA, names}, XB = {1, xb, NB, names};
    const tsf_xreg *xs[2] = {&XA, &XB};
    const double *ys[2] = {ya, yb};
    size_t ns[2] = {NA, NB};
    const char *ids[2] = {"a", "b"};
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("gru(hidden=16, layers=1, context=8, ensemble=1)", &m),
                     TSF_OK);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 80;
    o.seed = 1;
    o.threads = 1;
    if (tsf_fit_global_x(m, ys, ns, xs, ids, 2, 1, &o)) fail_msg("%s", tsf_errmsg());
    /* pooled centre and scale */
    double mu = 0.0, ss = 0.0;
    for (size_t t = 0; t < NA; t++) mu += xa[t];
    for (size_t t = 0; t < NB; t++) mu += xb[t];
    mu /= NA + NB;
    for (size_t t = 0; t < NA; t++) ss += (xa[t] - mu) * (xa[t] - mu);
    for (size_t t = 0; t < NB; t++) ss += (xb[t] - mu) * (xb[t] - mu);
    const tsf_neural *nm = m->impl;
    assert_true(fabs(nm->xcenter[0] - mu) < 1e-12);
    assert_true(fabs(nm->xscale[0] - sqrt(ss / (NA + NB - 1))) < 1e-12);
    /* known truth: the mean follows the future regressor */
    double fut[2] = {2.0, -2.0};
    tsf_xreg XF = {1, fut, 2, names};
    tsf_forecast_opts fo;
    tsf_forecast_opts_init(&fo);
    fo.seed = 3;
    fo.samples = 400;
    fo.xreg_future = &XF;
    tsf_forecast_result *fa = NULL, *fb = NULL, *fb2 = NULL;
    fo.series = "a";
    if (tsf_forecast(m, ya, NA, &XA, 2, NULL, 0, &fo, &fa)) fail_msg("%s", tsf_errmsg());
    fo.series = "b";
    assert_int_equal(tsf_forecast(m, yb, NB, &XB, 2, NULL, 0, &fo, &fb), TSF_OK);
    print_message("a: %.3f %.3f (truth 6, -6); b: %.3f %.3f (truth 90, 10)\n", fa->mean[0],
                  fa->mean[1], fb->mean[0], fb->mean[1]);
    assert_true(fabs(fa->mean[0] - 6.0) < 1.0 && fabs(fa->mean[1] + 6.0) < 1.0);
    assert_true(fabs(fb->mean[0] - 90.0) < 8.0 && fabs(fb->mean[1] - 10.0) < 8.0);
    /* save and load: the same bits */
    tsf_model *m2 = saved_and_loaded(m);
    assert_int_equal(tsf_forecast(m2, yb, NB, &XB, 2, NULL, 0, &fo, &fb2), TSF_OK);
    assert_true(fb2->mean[0] == fb->mean[0] && fb2->mean[1] == fb->mean[1]);
    /* the future rows are needed */
    tsf_forecast_result *bad = NULL;
    fo.xreg_future = NULL;
    assert_int_equal(tsf_forecast(m2, yb, NB, &XB, 2, NULL, 0, &fo, &bad), TSF_EINVAL);
    assert_errmsg_has("xreg_future");
    tsf_forecast_free(fa);
    tsf_forecast_free(fb);
    tsf_forecast_free(fb2);
    tsf_model_free(m2);
    tsf_model_free(m);
    /* errors: regressors for some series only, a trend */
    assert_int_equal(tsf_model_new("gru(hidden=4, layers=1, context=8)", &m), TSF_OK);
    const tsf_xreg *half[2] = {&XA, NULL};
    assert_int_equal(tsf_fit_global_x(m, ys, ns, half, ids, 2, 1, &o), TSF_EINVAL);
    assert_errmsg_has("series 2");
    o.trend = 1;
    assert_int_equal(tsf_fit_global_x(m, ys, ns, xs, ids, 2, 1, &o), TSF_EUNSUP);
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_global_x),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
