/* The ar family against R 4.2.2's stats::ar: every "ar" case of
 * tests/reference/r_reference.json (order chosen, coefficients within 1e-3
 * (mle: 2%), var.pred within 1%, x.mean), plus R's aic vectors and
 * asymptotic standard errors for lh, and the exact likelihood of the mle
 * fits at least R's. */
#include <jansson.h>
#include "testutil.h"
#include "ar_testdata.h"
#include "core/internal.h"
#include "stats/arima_ss.h"

static json_t *cases;

static int setup(void **state)
{
    (void)state;
    char path[512];
    json_error_t err;
    cases = json_load_file(test_path("reference/r_reference.json", path, sizeof path), 0, &err);
    if (!cases) fprintf(stderr, "cannot read %s: %s\n", path, err.text);
    return cases ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(cases);
    return 0;
}

/* Fits spec to the named data set (log-transformed when asked). */
static tsf_model *fit_data(const char *spec, const char *data, int logt, double **yout,
                           size_t *nout)
{
    size_t n;
    double *y = ar_test_read(data, &n);
    assert_non_null(y);
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o = {0};
    if (logt) o.transform = TSF_TRANSFORM_LOG;
    tsf_status st = tsf_fit(m, y, n, NULL, 1, &o);
    if (st) fail_msg("fit %s on %s: %s", spec, data, tsf_errmsg());
    if (yout) {
        *yout = y;
        *nout = n;
    } else {
        free(y);
    }
    return m;
}

static void test_reference_cases(void **state)
{
    (void)state;
    size_t i, ncase = 0;
    json_t *c;
    json_array_foreach(cases, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "kind")), "ar") != 0) continue;
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *method = json_string_value(json_object_get(c, "method"));
        const char *data = json_string_value(json_object_get(c, "data"));
        int logt = strcmp(json_string_value(json_object_get(c, "transform")), "log") == 0;
        long kmax = (long)json_integer_value(json_object_get(c, "order_max"));
        int aic = json_is_true(json_object_get(c, "aic"));
        char spec[128];
        if (aic) snprintf(spec, sizeof spec, "ar(max=%ld, method=%s)", kmax, method);
        else snprintf(spec, sizeof spec, "ar(%ld, method=%s)", kmax, method);
        double *y;
        size_t n;
        tsf_model *m = fit_data(spec, data, logt, &y, &n);
        tsf_fit_info info;
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        json_t *ar = json_object_get(c, "ar");
        int mle = strcmp(method, "mle") == 0;
        if ((size_t)info.order[0] != json_array_size(ar))
            fail_msg("%s: order %d, R chose %zu", id, info.order[0], json_array_size(ar));
        assert_int_equal(info.order[0], json_integer_value(json_object_get(c, "order")));
        for (size_t j = 0; j < info.ncoef; j++) {
            double r = json_real_value(json_array_get(ar, j));
            if (mle) assert_rel(info.coef[j], r, 0.02, 1e-3);
            else assert_close(info.coef[j], r, 1e-3);
        }
        double vp = json_real_value(json_object_get(c, "var_pred"));
        assert_rel(info.sigma2, vp, 0.01, 0.0);
        double xm = json_real_value(json_object_get(c, "x_mean"));
        if (!mle) assert_rel(info.mean, xm, 1e-10, 1e-12);
        if (mle) {
            /* Exact ML: our likelihood at least R's at R's estimates. */
            size_t p = info.ncoef;
            double rphi[64], ll_r;
            for (size_t j = 0; j < p; j++) rphi[j] = json_real_value(json_array_get(ar, j));
            double *x = malloc(n * sizeof *x);
            assert_non_null(x);
            for (size_t t = 0; t < n; t++) x[t] = (logt ? log(y[t]) : y[t]) - xm;
            tsf_arima_ss mr = {p, 0, 0, rphi, NULL, NULL, vp};
            assert_int_equal(tsf_arima_ss_loglik(&mr, x, n, 0, &ll_r), TSF_OK);
            double jac = 0.0;
            if (logt)
                for (size_t t = 0; t < n; t++) jac -= log(y[t]);
            if (!(info.loglik - jac >= ll_r - 1e-3))
                fail_msg("%s: loglik %.6f below R's %.6f", id, info.loglik - jac, ll_r);
            free(x);
        }
        free(y);
        tsf_model_free(m);
        ncase++;
    }
    assert_int_equal(ncase, 9);
}

/* R: ar(lh, order.max = 10, method = M)$aic, asy.var.coef / asy.se.coef. */
static void test_lh_aic_and_se(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        size_t order;
        double aic[11];
        double se[3];
        double tol;
    } r[] = {
        {"ar(max=10)", 3,
         {18.3066645, 0.9956542, 0.5380214, 0.0, 1.4903597, 3.2127890, 4.9932119, 6.4694960,
          8.4625678, 8.7411958, 10.7408834},
         {0.146822, 0.176544, 0.146822}, 1e-6},
        {"ar(max=10, method=burg)", 3,
         {18.5474337, 0.8134327, 0.4568055, 0.0, 1.6247597, 3.3260197, 4.9489218, 5.7205751,
          7.7174020, 5.8837802, 7.8730271},
         {0.140219, 0.168605, 0.140219}, 1e-6},
        {"ar(max=10, method=ols)", 1,
         {16.7345819, 0.0, 0.6847204, 1.2630706, 3.7427017, 6.3694062, 5.9738879, 6.8071434,
          9.6964737, 7.9241481, 9.0139830},
         {0.1198224, 0, 0}, 1e-6},
        /* R's ar.mle optimises with arima0: its aic agrees to ~0.04. */
        {"ar(max=10, method=mle)", 3,
         {17.9080863, 0.5735377, 0.3189312, 0.0, 1.6494103, 3.3697301, 5.0734980, 5.9593418,
          7.9591323, 6.2520684, 8.1211393},
         {0.1402250, 0.1686114, 0.1402250}, 0.05},
    };
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
        tsf_model *m = fit_data(r[k].spec, "lh", 0, NULL, NULL);
        tsf_fit_info info;
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        assert_int_equal(info.order[0], r[k].order);
        assert_int_equal(info.ntrace, 11);
        for (size_t i = 0; i < 11; i++) {
            char want[8];
            snprintf(want, sizeof want, "%zu", i);
            assert_string_equal(info.trace_labels[i], want);
            assert_close(info.trace_values[i], r[k].aic[i], r[k].tol);
        }
        for (size_t j = 0; j < r[k].order; j++) assert_rel(info.se[j], r[k].se[j], 1e-4, 0.0);
        tsf_model_free(m);
    }
}

/* R: predict(ar(lh, order.max = p, aic = FALSE, method = M), n.ahead = h). */
static void test_lh_predict(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        size_t h;
        double mean[4], se[4];
    } r[] = {
        {"ar(3)", 3, {2.46158813604310, 2.27226725244418, 2.19915081878988},
         {0.442568745065237, 0.528667539977690, 0.552578587046372}},
        {"ar(3, method=burg)", 3, {2.46953789707, 2.28138333000, 2.20594131961},
         {0.422665931715, 0.506142368528, 0.530152306016}},
        /* ols: x.intercept enters the recursion (process mean shifted). */
        {"ar(2, method=ols)", 4, {2.62488490002, 2.45145101410, 2.38914231644, 2.38329742262},
         {0.442938891598, 0.543485306808, 0.557832343493, 0.558174521681}},
    };
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
        double *y;
        size_t n;
        tsf_model *m = fit_data(r[k].spec, "lh", 0, &y, &n);
        tsf_forecast_result *fc;
        double lev[] = {95.0};
        assert_int_equal(tsf_forecast(m, y, n, NULL, r[k].h, lev, 1, NULL, &fc), TSF_OK);
        for (size_t i = 0; i < r[k].h; i++) {
            assert_close(fc->mean[i], r[k].mean[i], 1e-9);
            assert_close(fc->se[i], r[k].se[i], 1e-9);
            assert_close(fc->lower[i], r[k].mean[i] - 1.959963984540054 * r[k].se[i], 1e-8);
            assert_close(fc->upper[i], r[k].mean[i] + 1.959963984540054 * r[k].se[i], 1e-8);
        }
        tsf_forecast_free(fc);
        free(y);
        tsf_model_free(m);
    }
}

/* R: y <- lh; y[c(5,17,30)] <- NA; ar(y, order.max = 6, na.action = na.pass) */
static void test_yw_missing(void **state)
{
    (void)state;
    size_t n;
    double *y = ar_test_read("lh", &n);
    assert_non_null(y);
    y[4] = y[16] = y[29] = NAN;
    tsf_model *m;
    assert_int_equal(tsf_model_new("ar(max=6)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    static const double aic[] = {16.1323024285, 0.3963060806, 0.0, 0.3356366398,
                                 2.0702638886, 3.9811311289, 5.9539009731};
    assert_int_equal(info.order[0], 2);
    assert_close(info.coef[0], 0.700702232032772, 1e-10);
    assert_close(info.coef[1], -0.227724031440188, 1e-10);
    assert_rel(info.sigma2, 0.213525549343426, 1e-10, 0.0);
    assert_rel(info.mean, 2.39333333333333, 1e-12, 0.0);
    assert_int_equal(info.nobs, 45);
    for (size_t i = 0; i < 7; i++) assert_close(info.trace_values[i], aic[i], 1e-8);
    assert_true(isfinite(info.loglik));
    tsf_model_free(m);
    free(y);
}

/* R 4.2.2: ar(x, method = M, na.action = na.pass) with the default
 * order.max on more series (presidents has missing values): order,
 * var.pred, x.mean and the first coefficients. */
static void test_more_series(void **state)
{
    (void)state;
    static const struct {
        const char *data, *method;
        int order;
        double var_pred, x_mean, ar[3];
    } r[] = {
        {"LakeHuron", "yule-walker", 2, 0.507529640585, 579.004081633, {1.05382488, -0.2667516276}},
        {"LakeHuron", "burg", 2, 0.478871542051, 579.004081633, {1.044926651, -0.2455983981}},
        {"LakeHuron", "ols", 2, 0.453965943655, 579.004081633, {1.021731583, -0.2375742151}},
        {"LakeHuron", "mle", 2, 0.478820965356, 579.044303147, {1.043660945, -0.2495738487}},
        {"Nile", "yule-walker", 2, 21246.7207208, 919.35, {0.4081110723, 0.1811710054}},
        {"Nile", "burg", 2, 20293.1871703, 919.35, {0.4046583387, 0.1984689348}},
        {"Nile", "ols", 11, 15187.7844432, 919.35, {0.3928485777, 0.2099339093, -0.003703647355}},
        {"Nile", "mle", 2, 20290.6493131, 919.35712521, {0.409663756, 0.1986701012}},
        {"treering", "yule-walker", 10, 0.0847116351245, 0.996836215539, {0.2025998944, 0.04073405537, 0.03463842201}},
        {"treering", "burg", 10, 0.0845915337888, 0.996836215539, {0.2025873593, 0.04072503208, 0.03472695714}},
        {"treering", "ols", 22, 0.0842641396034, 0.996836215539, {0.2029673925, 0.03934019422, 0.03382777544}},
        {"treering", "mle", 10, 0.0845927961025, 0.996836259739, {0.2025965914, 0.04074990161, 0.03467417247}},
        {"presidents", "yule-walker", 3, 96.6908213488, 56.3070175439, {0.6665119271, 0.2800927454, -0.1716641195}},
    };
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
        char spec[64];
        snprintf(spec, sizeof spec, "ar(method=%s)", r[k].method);
        tsf_model *m = fit_data(spec, r[k].data, 0, NULL, NULL);
        tsf_fit_info info;
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        int mle = strcmp(r[k].method, "mle") == 0;
        if (info.order[0] != r[k].order)
            fail_msg("%s %s: order %d, R %d", r[k].data, r[k].method, info.order[0], r[k].order);
        for (size_t j = 0; j < 3 && j < info.ncoef; j++) {
            if (mle) assert_rel(info.coef[j], r[k].ar[j], 0.02, 1e-3);
            else assert_close(info.coef[j], r[k].ar[j], 1e-6);
        }
        assert_rel(info.sigma2, r[k].var_pred, mle ? 1e-3 : 1e-8, 0.0);
        /* the ML mean is weakly determined: within a tenth of a standard deviation */
        assert_close(info.mean, r[k].x_mean, mle ? 0.1 * sqrt(r[k].var_pred) : 1e-8);
        tsf_model_free(m);
    }
}

/* R: ar(lh) (default order.max 16; mle: 12) picks order 3. */
static void test_default_max(void **state)
{
    (void)state;
    const char *specs[] = {"ar", "ar()", "ar(method=burg)", "ar(method=mle)"};
    const size_t ntrace[] = {17, 17, 17, 13};
    for (size_t k = 0; k < 4; k++) {
        tsf_model *m = fit_data(specs[k], "lh", 0, NULL, NULL);
        tsf_fit_info info;
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        assert_int_equal(info.order[0], 3);
        assert_int_equal(info.ntrace, ntrace[k]);
        assert_string_equal(info.model, "AR(3)");
        tsf_model_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_cases),
        cmocka_unit_test(test_lh_aic_and_se),
        cmocka_unit_test(test_lh_predict),
        cmocka_unit_test(test_yw_missing),
        cmocka_unit_test(test_default_max),
        cmocka_unit_test(test_more_series),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
