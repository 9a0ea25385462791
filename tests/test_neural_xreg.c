/* Regressors of the neural models (--xreg): for each architecture a small
 * network fitted with two regressors must give
 *  - streaming log densities (tsf_state_update_x) summing to tsf_loglik
 *    (1e-5), which differs from the log-likelihood with other regressor
 *    values (the network reads them);
 *  - the same log-likelihood (bit for bit) and forecasts after save/load,
 *    and a resumed streaming state the same bits as an uninterrupted one;
 *  - one-line errors for missing, short or non-finite regressors.
 * transformer(cross=true) (cross-attention to the regressors) likewise,
 * and is an error without regressors.
 * The known-truth runs are in test_neural_truth.c ("xreg_*"). */
#include "testutil.h"
#include <unistd.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "state_resume.h"
#include "core/model_impl.h"
#include "neural/neural.h"

#define N 240
#define H 4

static double y[N], xv[2 * (N + H)];

static void simulate(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    double a = 0.0, p = 0.0;
    for (size_t t = 0; t < N + H; t++) {
        a = 0.8 * a + gsl_ran_gaussian(r, 1.0);
        xv[t] = a;                                 /* x1: AR(1) */
        xv[(N + H) + t] = t % 7 == 0 ? 1.0 : 0.0;  /* x2: a dummy */
        if (t < N) {
            p = 5.0 + 0.5 * (p - 5.0) + 2.0 * tanh(2.0 * a) + gsl_ran_gaussian(r, 1.0);
            y[t] = p;
        }
    }
    gsl_rng_free(r);
}

static void one(const char *spec)
{
    simulate();
    const char *names[2] = {"x1", "x2"};
    tsf_xreg X = {2, xv, N + H, names}, Xf = {2, xv + N, N + H, names};
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 2;
    o.seed = 3;
    o.threads = 1;
    if (tsf_fit(m, y, N, &X, 1, &o) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    size_t k;
    const char *const *rn;
    assert_int_equal(tsf_model_regressors(m, &k, &rn), TSF_OK);
    assert_int_equal(k, 2);
    assert_string_equal(rn[0], "x1");
    assert_string_equal(rn[1], "x2");
    double ll, ll2;
    assert_int_equal(tsf_loglik(m, y, N, &X, 0, &ll), TSF_OK);
    assert_true(isfinite(ll));
    /* streaming: sum of the one-step log densities */
    tsf_state *s;
    assert_int_equal(tsf_state_new(m, &s), TSF_OK);
    double sum = 0.0, lp;
    for (size_t t = 0; t < N; t++) {
        double row[2] = {xv[t], xv[N + H + t]};
        assert_int_equal(tsf_state_update_x(s, y[t], row, 2, &lp), TSF_OK);
        sum += lp;
    }
    if (fabs(sum - ll) > 1e-5 * fabs(ll)) fail_msg("%s: streaming %.10g, loglik %.10g", spec, sum, ll);
    /* errors of the state: no regressors, a wrong count, a non-finite one */
    assert_int_equal(tsf_state_update(s, 1.0, &lp), TSF_EINVAL);
    assert_errmsg_has("tsf_state_update_x");
    double bad[2] = {NAN, 0.0};
    assert_int_equal(tsf_state_update_x(s, 1.0, bad, 1, &lp), TSF_EINVAL);
    assert_int_equal(tsf_state_update_x(s, 1.0, bad, 2, &lp), TSF_EINVAL);
    assert_errmsg_has("finite");
    tsf_forecast_result *fc = NULL;
    assert_int_equal(tsf_state_forecast(s, H, NULL, 0, NULL, &fc), TSF_EINVAL);
    assert_errmsg_has("xreg_future");
    tsf_state_free(s);
    /* the network reads the regressors: other values, another likelihood */
    double xs[2 * N];
    for (size_t t = 0; t < N; t++) {
        xs[t] = -xv[t];
        xs[N + t] = xv[N + H + t];
    }
    tsf_xreg Xs = {2, xs, N, names};
    assert_int_equal(tsf_loglik(m, y, N, &Xs, 0, &ll2), TSF_OK);
    assert_true(fabs(ll2 - ll) > 1e-3);
    /* forecasts need the future rows */
    assert_int_equal(tsf_forecast(m, y, N, &X, H, NULL, 0, NULL, &fc), TSF_EINVAL);
    assert_errmsg_has("xreg_future");
    tsf_forecast_opts fo = {0};
    fo.size = sizeof fo;
    fo.seed = 5;
    fo.samples = 50;
    fo.xreg_future = &Xf;
    Xf.ld = H - 1; /* short */
    assert_int_equal(tsf_forecast(m, y, N, &X, H, NULL, 0, &fo, &fc), TSF_EINVAL);
    Xf.ld = N + H;
    fo.sampler = TSF_SAMPLER_PARALLEL;
    assert_int_equal(tsf_forecast(m, y, N, &X, H, NULL, 0, &fo, &fc), TSF_EUNSUP);
    fo.sampler = TSF_SAMPLER_AUTO;
    assert_int_equal(tsf_forecast(m, y, N, NULL, H, NULL, 0, &fo, &fc), TSF_EINVAL);
    assert_int_equal(tsf_forecast(m, y, N, &X, H, NULL, 0, &fo, &fc), TSF_OK);
    for (size_t i = 0; i < H; i++) assert_true(isfinite(fc->mean[i]));
    /* save and load: the same numbers */
    tsf_model *m2 = saved_and_loaded(m);
    assert_int_equal(tsf_loglik(m2, y, N, &X, 0, &ll2), TSF_OK);
    assert_true(ll2 == ll);
    assert_int_equal(tsf_model_regressors(m2, &k, &rn), TSF_OK);
    assert_true(k == 2 && !strcmp(rn[1], "x2"));
    tsf_forecast_result *fc2 = NULL;
    assert_int_equal(tsf_forecast(m2, y, N, &X, H, NULL, 0, &fo, &fc2), TSF_OK);
    for (size_t i = 0; i < H; i++) assert_true(fc->mean[i] == fc2->mean[i]);
    tsf_forecast_free(fc);
    tsf_forecast_free(fc2);
    /* simulation takes regressor paths of its length */
    double paths[2 * 6];
    tsf_xreg Xp = {2, xv, N + H, NULL};
    assert_int_equal(tsf_simulate_x(m2, 6, 2, 1, &Xp, paths), TSF_OK);
    assert_int_equal(tsf_simulate(m2, 6, 2, 1, paths), TSF_EINVAL);
    /* a resumed state: the same bits */
    check_resume_x(m, m2, y, N, &X, &Xf, 100);
    /* no trend term for neural models */
    tsf_model *m3 = NULL;
    assert_int_equal(tsf_model_new(spec, &m3), TSF_OK);
    o.trend = 1;
    assert_int_equal(tsf_fit(m3, y, N, NULL, 1, &o), TSF_EUNSUP);
    /* a non-finite regressor at fit */
    o.trend = 0;
    double keep = xv[17];
    xv[17] = INFINITY;
    assert_int_equal(tsf_fit(m3, y, N, &X, 1, &o), TSF_EINVAL);
    assert_errmsg_has("row 18");
    xv[17] = keep;
    tsf_model_free(m3);
    tsf_model_free(m2);
    tsf_model_free(m);
}

static void test_gru(void **s) { (void)s; one("gru(hidden=8, layers=1, context=16)"); }
static void test_lstm(void **s) { (void)s; one("lstm(hidden=8, layers=1, context=16)"); }
static void test_transformer(void **s)
{
    (void)s;
    one("transformer(d=16, heads=2, layers=1, context=16)");
}
static void test_wavenet(void **s) { (void)s; one("wavenet(channels=8, stacks=1, layers=3)"); }
static void test_cross(void **s)
{
    (void)s;
    one("transformer(d=16, heads=2, layers=2, context=16, cross=true)");
    /* without regressors: an error that says why */
    tsf_model *m;
    assert_int_equal(tsf_model_new("transformer(cross=true)", &m), TSF_OK);
    assert_string_equal(tsf_model_family(m), "transformer");
    assert_int_equal(tsf_fit(m, y, N, NULL, 1, NULL), TSF_EINVAL);
    assert_errmsg_has("--xreg");
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("transformer(cross=maybe)", &m), TSF_EPARSE);
    /* cross=true is for dense dot-product self-attention (check()) */
    assert_int_equal(tsf_model_new("transformer(cross=true, attention=additive)", &m), TSF_EPARSE);
    assert_errmsg_has("drop attention=additive");
    assert_int_equal(tsf_model_new("transformer(pattern=local, cross=true)", &m), TSF_EPARSE);
    assert_errmsg_has("drop pattern=local");
    assert_errmsg_has("column 28"); /* at cross= */
    /* an optional key: in the name only when on, as attention= */
    assert_int_equal(tsf_model_new("transformer(cross=false)", &m), TSF_OK);
    assert_null(strstr(((const tsf_neural *)m->impl)->name, "cross"));
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("transformer(cross=true)", &m), TSF_OK);
    assert_non_null(strstr(((const tsf_neural *)m->impl)->name, "cross=true"));
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_transformer),
        cmocka_unit_test(test_wavenet),
        cmocka_unit_test(test_cross),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
