/* The held-out likelihood behind `tsf compare`: tsf_loglik(y, n, start = m)
 * of a model fitted on y[0..m) must be the exact log p(y[m..n) | y[0..m)).
 * Checked against closed forms (AR(2) with mean; ARIMA(1,1,0), whose
 * differences are a zero-mean AR(1)) and, for d = 1, against the sum of
 * one-step predictive densities obtained by filtering ever longer
 * prefixes. */
#include "testutil.h"
#include "series_reader.h"
#include "tsf/tsf.h"

static double lnorm(double x, double mu, double s2)
{
    return -0.5 * (log(2.0 * M_PI * s2) + (x - mu) * (x - mu) / s2);
}

static const double *coef(const tsf_fit_info *info, const char *name)
{
    for (size_t i = 0; i < info->ncoef; i++)
        if (!strcmp(info->coef_names[i], name)) return &info->coef[i];
    fail_msg("no coefficient %s", name);
    return NULL;
}

static void test_ar2_closed_form(void **state)
{
    (void)state;
    size_t n;
    double *y = read_dataset("lh", &n);
    assert_non_null(y);
    size_t m = n - 12;
    tsf_model *mod;
    assert_int_equal(tsf_model_new("arima(2,0,0)", &mod), TSF_OK);
    assert_int_equal(tsf_fit(mod, y, m, NULL, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(mod, &info), TSF_OK);
    double a1 = *coef(&info, "ar1"), a2 = *coef(&info, "ar2"), mu = *coef(&info, "intercept");
    /* Every held-out y_t has two observed predecessors, so its exact
     * conditional is N(mu + a1 (y_{t-1} - mu) + a2 (y_{t-2} - mu), sigma2). */
    double want = 0.0;
    for (size_t t = m; t < n; t++)
        want += lnorm(y[t], mu + a1 * (y[t - 1] - mu) + a2 * (y[t - 2] - mu), info.sigma2);
    double got;
    assert_int_equal(tsf_loglik(mod, y, n, NULL, m, &got), TSF_OK);
    assert_close(got, want, 1e-8);
    tsf_model_free(mod);
    free(y);
}

static void test_d1_closed_form_and_refiltering(void **state)
{
    (void)state;
    size_t n;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    size_t m = n - 20;
    tsf_model *mod;
    assert_int_equal(tsf_model_new("arima(1,1,0)", &mod), TSF_OK);
    assert_int_equal(tsf_fit(mod, y, m, NULL, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(mod, &info), TSF_OK);
    double phi = *coef(&info, "ar1");
    double got;
    assert_int_equal(tsf_loglik(mod, y, n, NULL, m, &got), TSF_OK);
    /* Closed form: w_t = y_t - y_{t-1} is a zero-mean AR(1), and
     * p(y_t | y_<t) = p(w_t | w_<t) = N(phi w_{t-1}, sigma2) for t >= 2. */
    double want = 0.0;
    for (size_t t = m; t < n; t++)
        want += lnorm(y[t] - y[t - 1], phi * (y[t - 1] - y[t - 2]), info.sigma2);
    assert_close(got, want, 1e-8);
    /* Repeated filtering: log p(y_t | y_<t) = log p(y_0..t) - log p(y_0..t-1). */
    double sum = 0.0, prev;
    assert_int_equal(tsf_loglik(mod, y, m, NULL, 0, &prev), TSF_OK);
    for (size_t t = m; t < n; t++) {
        double cur;
        assert_int_equal(tsf_loglik(mod, y, t + 1, NULL, 0, &cur), TSF_OK);
        sum += cur - prev;
        prev = cur;
    }
    assert_close(got, sum, 1e-8);
    tsf_model_free(mod);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar2_closed_form),
        cmocka_unit_test(test_d1_closed_form_and_refiltering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
