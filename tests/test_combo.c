/* combo(): point forecasts against the members' own forecasts, the
 * mixture's quantiles and log density against a direct computation from
 * the members' Gaussian predictive distributions, streaming and files,
 * and the spec errors of nested specs. */
#include <unistd.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "testutil.h"
#include "series_reader.h"
#include "tsf/tsf.h"

static const char *const members[3] = {"arima(0,1,1)", "theta", "ar(2)"};
static const double lv[3] = {50, 80, 95};

static tsf_model *fitted(const char *spec, const double *y, size_t n)
{
    tsf_model *m;
    if (tsf_model_new(spec, &m) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    if (tsf_fit(m, y, n, NULL, 1, NULL) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    return m;
}

/* The members fitted alone and their forecasts (Gaussian: mean, se). */
static void member_forecasts(const double *y, size_t n, size_t h, tsf_forecast_result *f[3])
{
    for (int k = 0; k < 3; k++) {
        tsf_model *m = fitted(members[k], y, n);
        assert_int_equal(tsf_forecast(m, y, n, NULL, h, lv, 3, NULL, &f[k]), TSF_OK);
        assert_true(f[k]->normal);
        tsf_model_free(m);
    }
}

static double mix_cdf(tsf_forecast_result *f[3], const double *w, size_t i, double x)
{
    double F = 0.0;
    for (int k = 0; k < 3; k++) F += w[k] * gsl_cdf_ugaussian_P((x - f[k]->mean[i]) / f[k]->se[i]);
    return F;
}

static void test_combo_forecast(void **state)
{
    (void)state;
    size_t n, h = 10;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    tsf_forecast_result *f[3], *fc, *fm;
    member_forecasts(y, n, h, f);
    tsf_model *c = fitted("combo(arima(0,1,1), theta, ar(2))", y, n);
    tsf_model *cm = fitted("combo(arima(0,1,1), theta, ar(2), combine=median)", y, n);
    assert_int_equal(tsf_forecast(c, y, n, NULL, h, lv, 3, NULL, &fc), TSF_OK);
    assert_int_equal(tsf_forecast(cm, y, n, NULL, h, lv, 3, NULL, &fm), TSF_OK);
    assert_false(fc->normal);
    static const double w[3] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    for (size_t i = 0; i < h; i++) {
        double a = f[0]->mean[i], b = f[1]->mean[i], d = f[2]->mean[i];
        assert_rel(fc->mean[i], (a + b + d) / 3.0, 1e-12, 0);
        double med = fmax(fmin(a, b), fmin(fmax(a, b), d));
        assert_rel(fm->mean[i], med, 1e-12, 0);
        for (int l = 0; l < 3; l++) {
            double p = lv[l] / 100.0;
            /* the mixture CDF written out at the returned quantiles */
            assert_close(mix_cdf(f, w, i, fc->lower[l * h + i]), 0.5 * (1 - p), 1e-9);
            assert_close(mix_cdf(f, w, i, fc->upper[l * h + i]), 0.5 * (1 + p), 1e-9);
            /* the distribution does not depend on the point combination */
            assert_rel(fm->upper[l * h + i], fc->upper[l * h + i], 1e-12, 0);
        }
    }
    /* The log density of one held-out value: log of the mean of the
     * members' one-step normal densities. */
    double ll, dens = 0.0;
    tsf_forecast_result *g[3];
    member_forecasts(y, n - 1, 1, g);
    for (int k = 0; k < 3; k++) {
        dens += gsl_ran_gaussian_pdf(y[n - 1] - g[k]->mean[0], g[k]->se[0]) / 3.0;
        tsf_forecast_free(g[k]);
    }
    tsf_model *c1 = fitted("combo(arima(0,1,1), theta, ar(2))", y, n - 1);
    assert_int_equal(tsf_loglik(c1, y, n, NULL, n - 1, &ll), TSF_OK);
    assert_rel(ll, log(dens), 1e-9, 1e-9);
    /* Several held-out values: log mean_k exp(loglik_k) (combo.h). */
    double v[3], ll5;
    for (int k = 0; k < 3; k++) {
        tsf_model *m = fitted(members[k], y, n - 5);
        assert_int_equal(tsf_loglik(m, y, n, NULL, n - 5, &v[k]), TSF_OK);
        tsf_model_free(m);
    }
    tsf_model *c5 = fitted("combo(arima(0,1,1), theta, ar(2))", y, n - 5);
    assert_int_equal(tsf_loglik(c5, y, n, NULL, n - 5, &ll5), TSF_OK);
    double mx = fmax(v[0], fmax(v[1], v[2]));
    assert_rel(ll5, mx + log((exp(v[0] - mx) + exp(v[1] - mx) + exp(v[2] - mx)) / 3), 1e-12, 0);
    for (int k = 0; k < 3; k++) tsf_forecast_free(f[k]);
    tsf_forecast_free(fc);
    tsf_forecast_free(fm);
    tsf_model_free(c);
    tsf_model_free(cm);
    tsf_model_free(c1);
    tsf_model_free(c5);
    free(y);
}

/* A nested combination is a member known only through its quantiles
 * (piecewise-linear CDF): combo(combo(A, B), C) is the mixture with
 * weights 1/4, 1/4, 1/2, whose quantiles are computed here directly. */
static void test_combo_nested(void **state)
{
    (void)state;
    size_t n, h = 6;
    double *y = read_dataset("Nile", &n);
    tsf_forecast_result *f[3], *fc;
    member_forecasts(y, n, h, f);
    tsf_model *c = fitted("combo(combo(arima(0,1,1), theta), ar(2))", y, n);
    assert_int_equal(tsf_forecast(c, y, n, NULL, h, lv, 3, NULL, &fc), TSF_OK);
    static const double w[3] = {0.25, 0.25, 0.5};
    for (size_t i = 0; i < h; i++)
        for (int l = 0; l < 3; l++) {
            double p = lv[l] / 100.0, width = fc->upper[2 * h + i] - fc->lower[2 * h + i];
            double lo = fc->lower[l * h + i], hi = fc->upper[l * h + i];
            /* the quantile the direct CDF gives, by bisection */
            double q[2];
            for (int s = 0; s < 2; s++) {
                double a = -1e5, b = 1e5, target = s ? 0.5 * (1 + p) : 0.5 * (1 - p);
                for (int it = 0; it < 200; it++) {
                    double m = 0.5 * (a + b);
                    if (mix_cdf(f, w, i, m) < target) a = m;
                    else b = m;
                }
                q[s] = 0.5 * (a + b);
            }
            assert_close(lo, q[0], 0.005 * width);
            assert_close(hi, q[1], 0.005 * width);
        }
    for (int k = 0; k < 3; k++) tsf_forecast_free(f[k]);
    tsf_forecast_free(fc);
    tsf_model_free(c);
    free(y);
}

/* Streaming one-step densities sum to the likelihood; the streaming
 * forecast is the forecast; a saved combo gives both back. */
static void test_combo_state_files(void **state)
{
    (void)state;
    size_t n;
    double *y = read_dataset("Nile", &n);
    tsf_model *c = fitted("combo(arima(0,1,1), theta)", y, n), *c2;
    tsf_state *st;
    double ll, sum = 0.0, lp;
    assert_int_equal(tsf_loglik(c, y, n, NULL, 0, &ll), TSF_OK);
    assert_int_equal(tsf_state_new(c, &st), TSF_OK);
    for (size_t t = 0; t < n; t++) {
        assert_int_equal(tsf_state_update(st, y[t], &lp), TSF_OK);
        sum += lp;
    }
    assert_rel(sum, ll, 1e-9, 0);
    tsf_forecast_result *f1, *f2, *f3;
    assert_int_equal(tsf_forecast(c, y, n, NULL, 5, lv, 3, NULL, &f1), TSF_OK);
    assert_int_equal(tsf_state_forecast(st, 5, lv, 3, NULL, &f2), TSF_OK);
    char path[] = "/tmp/tsf_combo_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tsf_save(c, path), TSF_OK);
    if (tsf_load(path, &c2) != TSF_OK) fail_msg("%s", tsf_errmsg());
    remove(path);
    assert_int_equal(tsf_forecast(c2, y, n, NULL, 5, lv, 3, NULL, &f3), TSF_OK);
    for (size_t i = 0; i < 15; i++) {
        assert_rel(f2->upper[i], f1->upper[i], 1e-9, 0);
        assert_rel(f3->lower[i], f1->lower[i], 1e-12, 0);
    }
    double ll2;
    assert_int_equal(tsf_loglik(c2, y, n, NULL, 0, &ll2), TSF_OK);
    assert_rel(ll2, ll, 1e-12, 0);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(c2, &info), TSF_OK);
    assert_non_null(strstr(info.model, "Combo(mean: ARIMA(0,1,1), Theta)"));
    tsf_forecast_free(f1);
    tsf_forecast_free(f2);
    tsf_forecast_free(f3);
    tsf_state_free(st);
    tsf_model_free(c);
    tsf_model_free(c2);
    free(y);
}

/* A repeated member spec trains with the seed plus its earlier repeats:
 * combo(gru, gru) = the mean of gru fitted alone with seeds 7 and 8 (an
 * ensemble); a spec that appears once keeps the seed (combo(ar(1), gru)). */
static tsf_forecast_result *gru_alone(const char *spec, const double *y, size_t n, uint64_t seed,
                                      size_t h, const tsf_forecast_opts *fo)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 1;
    o.threads = 1;
    o.seed = seed;
    if (tsf_fit(m, y, n, NULL, 1, &o) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    tsf_forecast_result *f;
    assert_int_equal(tsf_forecast(m, y, n, NULL, h, NULL, 0, fo, &f), TSF_OK);
    tsf_model_free(m);
    return f;
}

static void test_combo_seeds(void **state)
{
    (void)state;
    size_t n, h = 3;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    const char *g = "gru(hidden=4, layers=1, context=16)";
    char spec[128], spec1[128];
    snprintf(spec, sizeof spec, "combo(%s, %s)", g, g);
    snprintf(spec1, sizeof spec1, "combo(ar(1), %s)", g);
    tsf_forecast_opts fo;
    tsf_forecast_opts_init(&fo);
    fo.samples = 20;
    fo.sampler = TSF_SAMPLER_ANCESTRAL;
    tsf_forecast_result *a = gru_alone(g, y, n, 7, h, &fo), *b = gru_alone(g, y, n, 8, h, &fo);
    tsf_forecast_result *ar = gru_alone("ar(1)", y, n, 7, h, &fo);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.epochs = 1;
    o.threads = 1;
    o.seed = 7;
    tsf_model *c, *c1;
    assert_int_equal(tsf_model_new(spec, &c), TSF_OK);
    assert_int_equal(tsf_model_new(spec1, &c1), TSF_OK);
    assert_int_equal(tsf_fit(c, y, n, NULL, 1, &o), TSF_OK);
    assert_int_equal(tsf_fit(c1, y, n, NULL, 1, &o), TSF_OK);
    tsf_forecast_result *fc, *fc1;
    assert_int_equal(tsf_forecast(c, y, n, NULL, h, NULL, 0, &fo, &fc), TSF_OK);
    assert_int_equal(tsf_forecast(c1, y, n, NULL, h, NULL, 0, &fo, &fc1), TSF_OK);
    for (size_t i = 0; i < h; i++) {
        assert_true(fabs(a->mean[i] - b->mean[i]) > 1e-9); /* two different networks */
        assert_rel(fc->mean[i], 0.5 * (a->mean[i] + b->mean[i]), 1e-12, 1e-12);
        assert_rel(fc1->mean[i], 0.5 * (ar->mean[i] + a->mean[i]), 1e-12, 1e-12);
    }
    tsf_forecast_free(a);
    tsf_forecast_free(b);
    tsf_forecast_free(ar);
    tsf_forecast_free(fc);
    tsf_forecast_free(fc1);
    tsf_model_free(c);
    tsf_model_free(c1);
    free(y);
}

/* tsf_model_reads: each family's documented options, a combo the union of
 * its members' (nested too), NULL nothing. */
static void test_model_reads(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        unsigned reads;
    } cases[] = {
        {"arima(1,0,0)", TSF_READS_METHOD | TSF_READS_MEAN | TSF_READS_DRIFT},
        {"ar", TSF_READS_MEAN},
        {"auto", TSF_READS_METHOD | TSF_READS_MEAN},
        {"garch(1,1)", TSF_READS_MEAN},
        {"ets", 0},
        {"theta", 0},
        {"gru(hidden=4)", TSF_READS_TRAINING | TSF_READS_SAMPLER},
        {"wavenet()", TSF_READS_TRAINING | TSF_READS_SAMPLER},
        {"combo(ets, theta)", 0},
        {"combo(ets, ar)", TSF_READS_MEAN},
        {"combo(theta, combo(ets, gru(hidden=4)))", TSF_READS_TRAINING | TSF_READS_SAMPLER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsf_model *m = NULL;
        assert_int_equal(tsf_model_new(cases[i].spec, &m), TSF_OK);
        assert_int_equal(tsf_model_reads(m), cases[i].reads);
        tsf_model_free(m);
    }
    assert_int_equal(tsf_model_reads(NULL), 0);
}

static void test_combo_bad_specs(void **state)
{
    (void)state;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("combo()", &m), TSF_EPARSE);
    assert_errmsg_has("at least one member");
    assert_int_equal(tsf_model_new("combo", &m), TSF_EPARSE);
    /* the error points into the inner spec, counted in the whole one */
    assert_int_equal(tsf_model_new("combo(auto, ar(max=x))", &m), TSF_EPARSE);
    assert_errmsg_has("spec \"combo(auto, ar(max=x))\" at column 16");
    assert_int_equal(tsf_model_new("combo(auto, nosuch(1))", &m), TSF_EPARSE);
    assert_errmsg_has("at column 13: unknown model 'nosuch'");
    assert_int_equal(tsf_model_new("combo(auto, theta, combine=mode)", &m), TSF_EPARSE);
    assert_errmsg_has("combine=mode is not one of mean|median");
    assert_int_equal(tsf_model_new("combo(auto, arima(1,1,1)", &m), TSF_EPARSE);
    assert_errmsg_has("missing ')'");
    assert_int_equal(tsf_model_new("combo(combo(combo(combo(combo(combo(auto))))))", &m),
                     TSF_EPARSE);
    assert_errmsg_has("nested too deeply");
    assert_null(m);
    /* nesting within the limit, with seasonal specs inside */
    assert_int_equal(tsf_model_new("combo(arima(0,1,1)(0,1,1)[12], combo(theta, auto))", &m),
                     TSF_OK);
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_combo_forecast),
        cmocka_unit_test(test_combo_nested),
        cmocka_unit_test(test_combo_state_files),
        cmocka_unit_test(test_combo_bad_specs),
        cmocka_unit_test(test_combo_seeds),
        cmocka_unit_test(test_model_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
