/* The ar family: exact likelihood and forecasts against closed forms,
 * streaming state against the batch likelihood, residuals against the AR
 * recursion, simulation moments, persistence, spec errors and bad data. */
#include <unistd.h>
#include "testutil.h"
#include "ar_testdata.h"
#include "core/internal.h"
#include "core/model_impl.h"
#include "stats/ar_est.h"
#include "stats/levinson.h"

static tsf_model *fit(const char *spec, const double *y, size_t n)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    if (tsf_fit(m, y, n, NULL, 1, NULL)) fail_msg("fit %s: %s", spec, tsf_errmsg());
    return m;
}

static double *lh(size_t *n)
{
    double *y = ar_test_read("lh", n);
    assert_non_null(y);
    return y;
}

/* Gaussian AR(p <= 2) log-likelihood in closed form: the first p values
 * from N(0, Gamma_p) (stationary autocovariances, Brockwell & Davis 1991,
 * eq. 3.3.13 for AR(2)), then x_t | past ~ N(phi' x_{t-1..t-p}, sigma2). */
static double closed_loglik(const double *phi, size_t p, double s2, double mu, const double *y,
                            size_t n)
{
    const double l2pi = log(2.0 * M_PI);
    double ll = 0.0, g0, g1;
    if (p == 1) {
        g0 = s2 / (1.0 - phi[0] * phi[0]);
        double x0 = y[0] - mu;
        ll += -0.5 * (l2pi + log(g0) + x0 * x0 / g0);
    } else {
        g0 = s2 * (1.0 - phi[1]) / ((1.0 + phi[1]) * ((1.0 - phi[1]) * (1.0 - phi[1]) - phi[0] * phi[0]));
        g1 = phi[0] * g0 / (1.0 - phi[1]);
        double x0 = y[0] - mu, x1 = y[1] - mu, det = g0 * g0 - g1 * g1;
        double q = (g0 * x0 * x0 - 2.0 * g1 * x0 * x1 + g0 * x1 * x1) / det;
        ll += -0.5 * (2.0 * l2pi + log(det) + q);
    }
    for (size_t t = p; t < n; t++) {
        double e = y[t] - mu - phi[0] * (y[t - 1] - mu) - (p == 2 ? phi[1] * (y[t - 2] - mu) : 0.0);
        ll += -0.5 * (l2pi + log(s2) + e * e / s2);
    }
    return ll;
}

static void test_loglik_closed_form(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    const char *specs[] = {"ar(1)", "ar(2, method=burg)", "ar(2, method=mle)"};
    for (size_t k = 0; k < 3; k++) {
        tsf_model *m = fit(specs[k], y, n);
        tsf_fit_info in;
        assert_int_equal(tsf_model_info(m, &in), TSF_OK);
        double want = closed_loglik(in.coef, in.ncoef, in.sigma2, in.mean, y, n);
        assert_close(in.loglik, want, 1e-8);
        double ll, ll5;
        assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
        assert_close(ll, want, 1e-8);
        /* log p(y[5..n) | y[0..5)) = log p(y) - log p(y[0..5)) */
        assert_int_equal(tsf_loglik(m, y, n, NULL, 5, &ll5), TSF_OK);
        assert_close(ll5, want - closed_loglik(in.coef, in.ncoef, in.sigma2, in.mean, y, 5), 1e-8);
        /* k = p + 2: coefficients, mean, variance */
        double kk = (double)in.ncoef + 2.0;
        assert_close(in.aic, -2.0 * want + 2.0 * kk, 1e-7);
        assert_close(in.bic, -2.0 * want + kk * log((double)n), 1e-7);
        assert_close(in.aicc, in.aic + 2.0 * kk * (kk + 1.0) / ((double)n - kk - 1.0), 1e-7);
        assert_int_equal(in.nobs, n);
        tsf_model_free(m);
    }
    free(y);
}

/* AR(1) with y[10] missing: y[11] | y[9] ~ N(mu + phi^2 (y[9] - mu),
 * sigma2 (1 + phi^2)); every other term as without the gap. */
static void test_loglik_missing(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(1)", y, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    double phi = in.coef[0], mu = in.mean, s2 = in.sigma2;
    double want = closed_loglik(&phi, 1, s2, mu, y, 10); /* y[0..10) */
    double e = y[11] - mu - phi * phi * (y[9] - mu), v = s2 * (1.0 + phi * phi);
    want += -0.5 * (log(2.0 * M_PI * v) + e * e / v);
    for (size_t t = 12; t < n; t++) {
        double et = y[t] - mu - phi * (y[t - 1] - mu);
        want += -0.5 * (log(2.0 * M_PI * s2) + et * et / s2);
    }
    y[10] = NAN;
    double ll;
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
    assert_close(ll, want, 1e-9);
    tsf_model_free(m);
    free(y);
}

static void test_forecast_closed_form(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(1, method=burg)", y, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    double phi = in.coef[0], mu = in.mean, s2 = in.sigma2;
    double lev[] = {80.0, 95.0}, z[] = {1.2815515655446004, 1.959963984540054};
    tsf_forecast_result *fc;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 12, lev, 2, NULL, &fc), TSF_OK);
    for (size_t h = 1; h <= 12; h++) {
        double mean = mu + pow(phi, (double)h) * (y[n - 1] - mu);
        double se = sqrt(s2 * (1.0 - pow(phi, 2.0 * (double)h)) / (1.0 - phi * phi));
        assert_close(fc->mean[h - 1], mean, 1e-10);
        assert_close(fc->se[h - 1], se, 1e-10);
        for (size_t k = 0; k < 2; k++) {
            assert_close(fc->lower[k * 12 + h - 1], mean - z[k] * se, 1e-9);
            assert_close(fc->upper[k * 12 + h - 1], mean + z[k] * se, 1e-9);
        }
    }
    tsf_forecast_free(fc);
    tsf_model_free(m);
    free(y);
}

/* Streaming: the one-step log densities sum to tsf_loglik (missing values
 * included) and the state's forecast equals the batch forecast. */
static void test_state(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(3)", y, n);
    y[1] = y[20] = y[21] = NAN;
    tsf_state *st;
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    double sum = 0.0, lp, ll;
    for (size_t t = 0; t < n; t++) {
        assert_int_equal(tsf_state_update(st, y[t], &lp), TSF_OK);
        if (isnan(y[t])) assert_true(lp == 0.0);
        sum += lp;
    }
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
    assert_close(sum, ll, 1e-8);
    double lev[] = {90.0};
    tsf_forecast_result *a, *b;
    assert_int_equal(tsf_state_forecast(st, 5, lev, 1, NULL, &a), TSF_OK);
    assert_int_equal(tsf_forecast(m, y, n, NULL, 5, lev, 1, NULL, &b), TSF_OK);
    for (size_t i = 0; i < 5; i++) {
        assert_close(a->mean[i], b->mean[i], 1e-10);
        assert_close(a->se[i], b->se[i], 1e-10);
        assert_close(a->upper[i], b->upper[i], 1e-9);
    }
    tsf_forecast_free(a);
    tsf_forecast_free(b);
    tsf_state_free(st);
    tsf_model_free(m);
    free(y);
}

/* After p observations the residual is the AR recursion's error. */
static void test_residuals(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(2)", y, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    double *f = malloc(n * sizeof *f), *r = malloc(n * sizeof *r);
    assert_non_null(f);
    assert_non_null(r);
    assert_int_equal(tsf_residuals(m, y, n, NULL, f, r), TSF_OK);
    for (size_t t = 2; t < n; t++) {
        double e = y[t] - in.mean - in.coef[0] * (y[t - 1] - in.mean) -
                   in.coef[1] * (y[t - 2] - in.mean);
        assert_close(r[t], e, 1e-10);
        assert_close(f[t] + r[t], y[t], 1e-12);
    }
    /* R: ar(lh, order.max = 3, aic = FALSE)$resid[4:6] (recursion residuals) */
    tsf_model *m3 = fit("ar(3)", y, n);
    assert_int_equal(tsf_residuals(m3, y, n, NULL, NULL, r), TSF_OK);
    assert_close(r[3], -0.2, 1e-12);
    assert_close(r[4], -0.169319664261672, 1e-12);
    assert_close(r[5], -0.716703663610001, 1e-12);
    free(f);
    free(r);
    tsf_model_free(m);
    tsf_model_free(m3);
    free(y);
}

/* Simulated paths have the model's mean, variance gamma_0 = sigma2 /
 * (1 - phi^2) and lag-1 correlation phi (AR(1)), within sampling error. */
static void test_simulate(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(1)", y, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    size_t len = 100, paths = 400;
    double *out = malloc(len * paths * sizeof *out);
    assert_non_null(out);
    assert_int_equal(tsf_simulate(m, len, paths, 42, out), TSF_OK);
    double phi = in.coef[0], g0 = in.sigma2 / (1.0 - phi * phi);
    double s = 0.0, ss = 0.0, c1 = 0.0;
    for (size_t k = 0; k < paths; k++)
        for (size_t t = 0; t < len; t++) {
            double x = out[k * len + t] - in.mean;
            s += x;
            ss += x * x;
            if (t) c1 += x * (out[k * len + t - 1] - in.mean);
        }
    double N = (double)(len * paths);
    /* paths are independent: the path means have variance ~ g0 (1+phi)/(1-phi)/len */
    double se_mean = sqrt(g0 * (1.0 + phi) / (1.0 - phi) / N);
    assert_close(s / N, 0.0, 5.0 * se_mean);
    assert_rel(ss / N, g0, 0.05, 0.0);
    assert_close(c1 / (double)((len - 1) * paths) / g0, phi, 0.03);
    /* same seed, same paths */
    double *again = malloc(len * sizeof *again);
    assert_non_null(again);
    assert_int_equal(tsf_simulate(m, len, 1, 42, again), TSF_OK);
    assert_memory_equal(again, out, len * sizeof *again);
    free(again);
    free(out);
    tsf_model_free(m);
    free(y);
}

static void test_save_load(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    const char *specs[] = {"ar(max=5, method=ols)", "ar(method=burg)", "ar(0)"};
    for (size_t k = 0; k < 3; k++) {
        tsf_model *m = fit(specs[k], y, n), *l;
        char path[] = "/tmp/tsf_test_ar_XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        if (tsf_save(m, path)) fail_msg("save %s: %s", specs[k], tsf_errmsg());
        if (tsf_load(path, &l)) fail_msg("load %s: %s", specs[k], tsf_errmsg());
        remove(path);
        tsf_fit_info a, b;
        assert_int_equal(tsf_model_info(m, &a), TSF_OK);
        assert_int_equal(tsf_model_info(l, &b), TSF_OK);
        assert_int_equal(a.ncoef, b.ncoef);
        assert_string_equal(a.model, b.model);
        for (size_t j = 0; j < a.ncoef; j++) {
            assert_true(a.coef[j] == b.coef[j]);
            assert_string_equal(a.coef_names[j], b.coef_names[j]);
        }
        assert_true(a.sigma2 == b.sigma2 && a.mean == b.mean && a.loglik == b.loglik);
        assert_int_equal(a.ntrace, b.ntrace);
        double la, lb, lev[] = {80.0};
        assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &la), TSF_OK);
        assert_int_equal(tsf_loglik(l, y, n, NULL, 0, &lb), TSF_OK);
        assert_true(la == lb);
        tsf_forecast_result *fa, *fb;
        assert_int_equal(tsf_forecast(m, y, n, NULL, 3, lev, 1, NULL, &fa), TSF_OK);
        assert_int_equal(tsf_forecast(l, y, n, NULL, 3, lev, 1, NULL, &fb), TSF_OK);
        for (size_t i = 0; i < 3; i++) assert_true(fa->mean[i] == fb->mean[i]);
        tsf_forecast_free(fa);
        tsf_forecast_free(fb);
        tsf_model_free(m);
        tsf_model_free(l);
    }
    free(y);
}

/* Model files are untrusted: the family's load checks each value. */
static void test_load_rejects(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(2, method=burg)", y, n);
    static const struct {
        const char *key, *value, *needle;
    } bad[] = {
        {"var_pred", "-1", "var_pred"},
        {"var_pred", "nan", "var_pred"},
        {"order", "1", "tensor 'ar' has 2 values, expected 1"},
        {"order", "3", "order_max"},
        {"order", "1.5", "whole numbers"},
        {"method", "ols", "disagrees with the stored spec"},
        {"method", "magic", "expected yule-walker, burg, ols or mle"},
        {"order_max", "2000", "order_max"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        tsf_st *doc;
        assert_int_equal(tsf_st_new(&doc), TSF_OK);
        assert_int_equal(m->type->save(m->impl, doc), TSF_OK);
        assert_int_equal(tsf_st_set_meta(doc, bad[k].key, bad[k].value), TSF_OK);
        void *impl = NULL;
        tsf_spec *spec;
        assert_int_equal(tsf_spec_parse("ar(2, method=burg)", &spec), TSF_OK);
        assert_int_equal(m->type->parse(spec, &impl), TSF_OK);
        tsf_spec_free(spec);
        assert_int_equal(m->type->load(doc, &impl), TSF_EPARSE);
        assert_errmsg_has(bad[k].needle);
        m->type->free(impl);
        tsf_st_free(doc);
    }
    /* and a good document loads */
    tsf_st *doc;
    void *impl = NULL;
    assert_int_equal(tsf_st_new(&doc), TSF_OK);
    assert_int_equal(m->type->save(m->impl, doc), TSF_OK);
    assert_int_equal(m->type->load(doc, &impl), TSF_OK);
    m->type->free(impl);
    tsf_st_free(doc);
    tsf_model_free(m);
    free(y);
}

static void test_info(void **state)
{
    (void)state;
    size_t n;
    double *y = lh(&n);
    tsf_model *m = fit("ar(3, method=ols)", y, n);
    tsf_fit_info in;
    assert_int_equal(tsf_model_info(m, &in), TSF_OK);
    assert_string_equal(in.model, "AR(3)");
    assert_int_equal(in.order[0], 3);
    assert_int_equal(in.order[1], 0);
    assert_int_equal(in.order[2], 0);
    assert_int_equal(in.ncoef, 3);
    assert_string_equal(in.coef_names[0], "ar1");
    assert_string_equal(in.coef_names[2], "ar3");
    /* fixed order, ols: R fits only that order (aic named "3", value 0) */
    assert_int_equal(in.ntrace, 1);
    assert_string_equal(in.trace_labels[0], "3");
    assert_close(in.trace_values[0], 0.0, 0.0);
    assert_rel(in.mean, 2.4, 1e-12, 0.0);
    assert_true(in.converged);
    assert_string_equal(tsf_model_family(m), "ar");
    tsf_model_free(m);
    free(y);
}

static void expect_spec_error(const char *spec, const char *needle)
{
    tsf_model *m = (tsf_model *)1;
    assert_int_equal(tsf_model_new(spec, &m), TSF_EPARSE);
    assert_null(m);
    assert_errmsg_has(needle);
    assert_errmsg_has(spec); /* the message quotes the spec */
}

static void test_bad_specs(void **state)
{
    (void)state;
    expect_spec_error("ar(3, max=5)", "not both");
    expect_spec_error("ar(3, max=5)", "column 7");
    expect_spec_error("ar(method=foo)", "method=foo is not one of yule-walker|burg|ols|mle");
    expect_spec_error("ar(x=1)", "unknown key 'x'");
    expect_spec_error("ar(-1)", "out of range");
    expect_spec_error("ar(max=5000)", "max=5000 is out of range: use 0 to 1000");
    expect_spec_error("ar(two)", "'two' is not a whole number");
    expect_spec_error("ar(1, 2)", "unexpected value '2'");
    expect_spec_error("ar(1)(2)", "one argument list");
    expect_spec_error("ar[12]", "no period");
    tsf_model *m;
    assert_int_equal(tsf_model_new("ar(2, method=yw)", &m), TSF_OK);
    tsf_model_free(m);
}

static void test_bad_data(void **state)
{
    (void)state;
    double y[40];
    for (size_t t = 0; t < 40; t++) y[t] = sin(0.7 * (double)t * (double)t) + 0.1 * (double)(t % 3);
    tsf_model *m;
    /* too short: yule-walker needs p + 2, ols 2p + 2, mle p + 3 */
    assert_int_equal(tsf_model_new("ar(5)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 6, NULL, 1, NULL), TSF_EDOMAIN);
    assert_errmsg_has("needs at least 7 observations, got 6");
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("ar(max=4, method=ols)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 9, NULL, 1, NULL), TSF_EDOMAIN);
    assert_errmsg_has("needs at least 10 observations, got 9");
    tsf_model_free(m);
    /* default max adapts to a short series instead of failing */
    assert_int_equal(tsf_model_new("ar(method=mle)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 5, NULL, 1, NULL), TSF_OK);
    tsf_model_free(m);
    assert_int_equal(tsf_model_new("ar", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 1, NULL, 1, NULL), TSF_EDOMAIN);
    assert_errmsg_has("needs at least 2 observations, got 1");
    tsf_model_free(m);
    /* constant series: a clear error for every method, never NaN */
    double c[30];
    for (size_t t = 0; t < 30; t++) c[t] = 4.0;
    const char *methods[] = {"ar(2)", "ar(2, method=burg)", "ar(2, method=ols)", "ar(2, method=mle)"};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(tsf_model_new(methods[k], &m), TSF_OK);
        assert_int_equal(tsf_fit(m, c, 30, NULL, 1, NULL), TSF_EDEGENERATE);
        assert_errmsg_has("zero variance");
        tsf_model_free(m);
    }
    /* missing values: only yule-walker accepts them (as R) */
    y[7] = NAN;
    for (size_t k = 1; k < 4; k++) {
        assert_int_equal(tsf_model_new(methods[k], &m), TSF_OK);
        assert_int_equal(tsf_fit(m, y, 40, NULL, 1, NULL), TSF_EDOMAIN);
        assert_errmsg_has("observation 8 is missing");
        tsf_model_free(m);
    }
    assert_int_equal(tsf_model_new("ar(2)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 40, NULL, 1, NULL), TSF_OK);
    /* regressors are not part of ar() */
    double xr[40] = {0};
    tsf_xreg xreg = {1, xr, 40, NULL};
    assert_int_equal(tsf_fit(m, y, 40, &xreg, 1, NULL), TSF_EUNSUP);
    tsf_model_free(m);
}

/* Durbin-Levinson round trip and the innovations likelihood of ar_exact
 * against the closed form. */
static void test_levinson(void **state)
{
    (void)state;
    double kappa[] = {0.5, -0.3, 0.2}, phi[3], back[3], work[3];
    tsf_pacf_to_ar(kappa, 3, phi, NULL);
    /* order 2: phi21 = k1 - k2 k1 = 0.65, phi22 = -0.3; order 3 by hand */
    double p21 = 0.5 - (-0.3) * 0.5, p22 = -0.3;
    assert_close(phi[0], p21 - 0.2 * p22, 1e-15);
    assert_close(phi[1], p22 - 0.2 * p21, 1e-15);
    assert_close(phi[2], 0.2, 1e-15);
    assert_true(tsf_ar_to_pacf(phi, 3, back, work));
    for (size_t j = 0; j < 3; j++) assert_close(back[j], kappa[j], 1e-14);
    double bad[] = {1.2, 0.0};
    assert_false(tsf_ar_to_pacf(bad, 2, back, work));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loglik_closed_form),
        cmocka_unit_test(test_loglik_missing),
        cmocka_unit_test(test_forecast_closed_form),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_residuals),
        cmocka_unit_test(test_simulate),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_load_rejects),
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_bad_specs),
        cmocka_unit_test(test_bad_data),
        cmocka_unit_test(test_levinson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
