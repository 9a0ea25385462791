/* ETS unit tests against independent computations: the admissible region
 * against the eigenvalues of the dense discount matrix D = F - g w'
 * (GSL's nonsymmetric eigensolver), forecast variances against Monte Carlo
 * paths, streaming densities against tsf_loglik, model and state files,
 * and the errors of bad specs and data. */
#include "testutil.h"
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "series_reader.h"
#include "state_resume.h"
#include "tsf/tsf.h"
#include "stats/ets.h"

/* Largest |eigenvalue| of D, ignoring one eigenvalue at 1 for seasonal
 * forms (the level/seasonal redundancy), for x = (l, b, s_1..s_m) with
 * s_1 the newest seasonal state. */
static double max_root(const tsf_ets_form *f, double a, double b, double g, double phi)
{
    int tr = f->trend != ETS_N, m = f->season != ETS_N ? f->m : 0, k = 1 + tr + m;
    gsl_matrix *D = gsl_matrix_calloc((size_t)k, (size_t)k);
    double w[32] = {0}, gv[32] = {0};
    gsl_matrix_set(D, 0, 0, 1.0);
    w[0] = 1.0;
    gv[0] = a;
    if (tr) {
        gsl_matrix_set(D, 0, 1, phi);
        gsl_matrix_set(D, 1, 1, phi);
        w[1] = phi;
        gv[1] = b;
    }
    int o = 1 + tr;
    if (m) {
        gsl_matrix_set(D, (size_t)o, (size_t)(o + m - 1), 1.0);
        for (int i = 1; i < m; i++) gsl_matrix_set(D, (size_t)(o + i), (size_t)(o + i - 1), 1.0);
        w[o + m - 1] = 1.0;
        gv[o] = g;
    }
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            gsl_matrix_set(D, (size_t)i, (size_t)j, gsl_matrix_get(D, (size_t)i, (size_t)j) - gv[i] * w[j]);
    gsl_vector_complex *ev = gsl_vector_complex_alloc((size_t)k);
    gsl_eigen_nonsymm_workspace *ws = gsl_eigen_nonsymm_alloc((size_t)k);
    assert_int_equal(gsl_eigen_nonsymm(D, ev, ws), 0);
    double mod[32];
    int unit = -1;
    for (int i = 0; i < k; i++) {
        gsl_complex z = gsl_vector_complex_get(ev, (size_t)i);
        mod[i] = hypot(GSL_REAL(z), GSL_IMAG(z));
        if (m && fabs(GSL_REAL(z) - 1.0) < 1e-7 && fabs(GSL_IMAG(z)) < 1e-7) unit = i;
    }
    if (m) assert_true(unit >= 0);
    double mx = 0.0;
    for (int i = 0; i < k; i++)
        if (i != unit) mx = fmax(mx, mod[i]);
    gsl_eigen_nonsymm_free(ws);
    gsl_vector_complex_free(ev);
    gsl_matrix_free(D);
    return mx;
}

/* The admissible test of tsf_ets_params_ok equals "all eigenvalues of D
 * inside the unit circle" on random parameters inside the usual-bound
 * box but outside the usual ordering constraints (so that both answers
 * occur); points within 1e-6 of the boundary are skipped. */
static void test_admissible_region(void **state)
{
    (void)state;
    const tsf_ets_form forms[] = {
        {ETS_A, ETS_N, ETS_N, 0, 1}, {ETS_A, ETS_A, ETS_N, 0, 1}, {ETS_A, ETS_A, ETS_N, 1, 1},
        {ETS_A, ETS_N, ETS_A, 0, 4}, {ETS_A, ETS_A, ETS_A, 1, 4}, {ETS_M, ETS_A, ETS_M, 0, 12},
    };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    size_t yes = 0, no = 0;
    for (size_t fi = 0; fi < sizeof forms / sizeof forms[0]; fi++) {
        const tsf_ets_form *f = &forms[fi];
        for (int it = 0; it < 400; it++) {
            double a = 1e-4 + 0.9998 * gsl_rng_uniform(r);
            double b = f->trend ? 1e-4 + a * gsl_rng_uniform(r) : 0.0;
            double g = f->season ? 1e-4 + (1.0 - a) * gsl_rng_uniform(r) : 0.0;
            double phi = f->damped ? 0.8 + 0.18 * gsl_rng_uniform(r) : 1.0;
            if (f->trend && b > a) continue;
            if (f->season && g > 1.0 - a) continue;
            double mr = max_root(f, a, b, g, phi);
            if (fabs(mr - 1.0) < 1e-6) continue;
            int ok = tsf_ets_params_ok(f, a, b, g, phi);
            if (ok != (mr < 1.0))
                fail_msg("form %zu a=%g b=%g g=%g phi=%g: max |root| %.9f, tsf says %d", fi, a,
                         b, g, phi, mr, ok);
            if (ok) yes++;
            else no++;
        }
    }
    gsl_rng_free(r);
    assert_true(yes > 100);
    /* and outside the usual bounds */
    tsf_ets_form ann = {ETS_A, ETS_N, ETS_N, 0, 1};
    assert_false(tsf_ets_params_ok(&ann, 1.2, 0, 0, 1));
    assert_false(tsf_ets_params_ok(&ann, 0.0, 0, 0, 1));
    tsf_ets_form aan = {ETS_A, ETS_A, ETS_N, 0, 1};
    assert_false(tsf_ets_params_ok(&aan, 0.3, 0.4, 0, 1)); /* beta > alpha */
    (void)no;
}

/* Analytic standard errors (classes 1-3) against the spread of 20000
 * simulated paths, over two and three periods. */
static void test_variance_vs_simulation(void **state)
{
    (void)state;
    const struct {
        tsf_ets_form f;
        double a, b, g, phi, s2;
        size_t h;
    } cases[] = {
        {{ETS_A, ETS_A, ETS_A, 1, 4}, 0.4, 0.1, 0.2, 0.9, 4.0, 10},
        {{ETS_M, ETS_A, ETS_N, 0, 1}, 0.5, 0.2, 0, 1.0, 0.004, 8},
        {{ETS_M, ETS_N, ETS_A, 0, 4}, 0.3, 0, 0.3, 1.0, 0.003, 9},
        {{ETS_M, ETS_A, ETS_M, 1, 4}, 0.3, 0.1, 0.2, 0.95, 0.002, 12},
        {{ETS_M, ETS_N, ETS_M, 0, 3}, 0.5, 0, 0.4, 1.0, 0.01, 9},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tsf_ets_par p;
        memset(&p, 0, sizeof p);
        p.f = cases[c].f;
        p.alpha = cases[c].a;
        p.beta = cases[c].b;
        p.gamma = cases[c].g;
        p.phi = cases[c].phi;
        p.sigma2 = cases[c].s2;
        int k = 0;
        p.x0[k++] = 100.0;
        if (p.f.trend) p.x0[k++] = 1.5;
        for (int i = 0; p.f.season && i < p.f.m; i++)
            p.x0[k++] = p.f.season == ETS_A ? (i % 2 ? 5.0 : -5.0) : (i % 2 ? 1.1 : 0.9);
        tsf_ets_run r;
        tsf_ets_run_start(&p, &r);
        size_t h = cases[c].h, np = 20000;
        double mean[16], se[16];
        assert_int_equal(tsf_ets_forecast_analytic(&p, &r, h, mean, se), 1);
        double *paths = malloc(np * h * sizeof *paths);
        assert_non_null(paths);
        assert_int_equal(tsf_ets_sample(&p, &r, h, np, 11, paths), TSF_OK);
        for (size_t i = 0; i < h; i++) {
            double s = 0, s2 = 0;
            for (size_t j = 0; j < np; j++) s += paths[j * h + i];
            double mu = s / np;
            for (size_t j = 0; j < np; j++) s2 += (paths[j * h + i] - mu) * (paths[j * h + i] - mu);
            double sd = sqrt(s2 / (np - 1));
            /* sampling error of a sd from 20000 draws: about 0.5% */
            assert_rel(se[i], sd, 0.03, 0.0);
            /* class 3's mean lies above the point forecast beyond a period */
            if (p.f.season != ETS_M || i < (size_t)p.f.m)
                assert_close(mu, mean[i], 4.0 * sd / sqrt((double)np) + 1e-9);
        }
        free(paths);
    }
}

static double *airpass(size_t *n)
{
    double *y = read_dataset("AirPassengers", n);
    assert_non_null(y);
    return y;
}

/* The Gaussian flag of combos and evaluate (tsf_forecast_result.normal):
 * set for classes 1 and 2, whose forecasts are reported as N(mean, se^2)
 * (intervals mean -/+ z se), not for class 3 (normal intervals of a
 * non-Gaussian distribution) nor for simulated forms (A,*,M). */
static void test_normal_flag(void **state)
{
    (void)state;
    size_t n;
    double *y = airpass(&n);
    const struct {
        const char *spec;
        int normal;
    } cases[] = {{"ets(AAN)", 1}, {"ets(ANA)", 1}, {"ets(MAN)", 1}, {"ets(MAA)", 1},
                 {"ets(MAM)", 0}, {"ets(AAM)", 0}};
    const double lv = 95.0, z = 1.959963984540054;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tsf_model *m = NULL;
        tsf_forecast_result *fc = NULL;
        assert_int_equal(tsf_model_new(cases[c].spec, &m), TSF_OK);
        assert_int_equal(tsf_fit(m, y, n, NULL, 12, NULL), TSF_OK);
        assert_int_equal(tsf_forecast(m, y, n, NULL, 6, &lv, 1, NULL, &fc), TSF_OK);
        assert_int_equal(fc->normal, cases[c].normal);
        if (fc->normal)
            for (size_t i = 0; i < fc->h; i++)
                assert_rel(fc->lower[i], fc->mean[i] - z * fc->se[i], 1e-12, 1e-12);
        tsf_forecast_free(fc);
        tsf_model_free(m);
    }
    free(y);
}

/* The one-step densities of a streaming state sum to tsf_loglik, which at
 * the fitted data is the reported loglik; its forecast is tsf_forecast's;
 * model files and saved states give back the same answers. */
static void test_state_and_files(void **state)
{
    (void)state;
    size_t n;
    double *y = airpass(&n);
    const char *specs[] = {"ets(MAdM)", "ets(AAA)", "ets(ANN)", "ets(AAM)"};
    char mpath[] = "/tmp/tsf_ets_XXXXXX";
    int fd = mkstemp(mpath);
    assert_true(fd >= 0);
    close(fd);
    for (size_t k = 0; k < 4; k++) {
        tsf_model *m = NULL, *m2 = NULL;
        assert_int_equal(tsf_model_new(specs[k], &m), TSF_OK);
        if (tsf_fit(m, y, n, NULL, 12, NULL)) fail_msg("%s: %s", specs[k], tsf_errmsg());
        tsf_fit_info info;
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        double ll, ll2, part;
        assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
        assert_rel(ll, info.loglik, 1e-11, 1e-9);
        assert_int_equal(tsf_loglik(m, y, n, NULL, 50, &part), TSF_OK);
        tsf_state *st = NULL;
        assert_int_equal(tsf_state_new(m, &st), TSF_OK);
        double sum = 0, sum50 = 0, lp;
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(tsf_state_update(st, y[i], &lp), TSF_OK);
            sum += lp;
            if (i >= 50) sum50 += lp;
        }
        assert_rel(sum, ll, 1e-11, 1e-9);
        assert_rel(sum50, part, 1e-11, 1e-9);
        double lv[2] = {80, 95};
        tsf_forecast_result *a, *b;
        tsf_forecast_opts o = {0};
        o.seed = 3;
        assert_int_equal(tsf_forecast(m, y, n, NULL, 24, lv, 2, &o, &a), TSF_OK);
        assert_int_equal(tsf_state_forecast(st, 24, lv, 2, &o, &b), TSF_OK);
        for (size_t i = 0; i < 24; i++) {
            assert_rel(a->mean[i], b->mean[i], 1e-12, 1e-9);
            assert_rel(a->upper[24 + i], b->upper[24 + i], 1e-12, 1e-9);
            assert_true(a->lower[i] < a->mean[i] && a->mean[i] < a->upper[i]);
            assert_true(a->upper[i] < a->upper[24 + i]);
        }
        tsf_forecast_free(b);
        /* the model file */
        assert_int_equal(tsf_save(m, mpath), TSF_OK);
        assert_int_equal(tsf_load(mpath, &m2), TSF_OK);
        assert_int_equal(tsf_loglik(m2, y, n, NULL, 0, &ll2), TSF_OK);
        assert_true(ll2 == ll);
        assert_int_equal(tsf_forecast(m2, y, n, NULL, 24, lv, 2, &o, &b), TSF_OK);
        for (size_t i = 0; i < 24; i++) assert_true(a->mean[i] == b->mean[i]);
        tsf_forecast_free(a);
        tsf_forecast_free(b);
        check_resume(m, m, y, n, 40);
        check_resume(m, m2, y, n, 100);
        /* seeded simulation repeats; its first value scatters around mu_1 */
        double *s1 = malloc(2 * 2000 * 12 * sizeof *s1);
        assert_non_null(s1);
        assert_int_equal(tsf_simulate(m, 12, 2000, 5, s1), TSF_OK);
        assert_int_equal(tsf_simulate(m, 12, 2000, 5, s1 + 24000), TSF_OK);
        assert_memory_equal(s1, s1 + 24000, 24000 * sizeof *s1);
        double fit1[1];
        assert_int_equal(tsf_residuals(m, y, 1, NULL, fit1, NULL), TSF_OK);
        double mu = 0;
        for (size_t j = 0; j < 2000; j++) mu += s1[j * 12] / 2000.0;
        assert_rel(mu, fit1[0], 0.02, 0.0);
        free(s1);
        tsf_state_free(st);
        tsf_model_free(m2);
        tsf_model_free(m);
    }
    remove(mpath);
    free(y);
}

/* Missing values are skipped by the likelihood and bridged by the state. */
static void test_missing(void **state)
{
    (void)state;
    size_t n;
    double *y = airpass(&n);
    y[30] = y[31] = y[100] = NAN;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("ets", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 12, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.nobs, n - 3);
    double ll;
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
    assert_rel(ll, info.loglik, 1e-11, 1e-9);
    tsf_model_free(m);
    free(y);
}

/* Held-out data that take a multiplicative-error model's one-step forecast
 * below zero (a downward trend carried past zero): the likelihood is the
 * proper density y ~ N(mu, sigma^2 mu^2), with |mu| (Hyndman et al. 2008,
 * ch. 5), computed here by the ETS(M,A,N) recursions from the fitted
 * parameters and states, sigma^2 the ML value over the training part. */
static void test_negative_forecast(void **state)
{
    (void)state;
    enum { NT = 40, N = 60 };
    double y[N];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    for (size_t t = 0; t < N; t++)
        y[t] = (100.0 - 2.2 * (double)t) * (1.0 + 0.02 * gsl_ran_gaussian(r, 1.0));
    gsl_rng_free(r);
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("ets(MAN)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, NT, NULL, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    double c[4];
    for (size_t k = 0; k < 4; k++) {
        const char *want[4] = {"alpha", "beta", "l", "b"};
        assert_string_equal(info.coef_names[k], want[k]);
        c[k] = info.coef[k];
    }
    double l = c[2], b = c[3], sse = 0.0, ll = 0.0, mu[N];
    for (size_t t = 0; t < N; t++) {
        mu[t] = l + b;
        double e = (y[t] - mu[t]) / mu[t];
        if (t < NT) sse += e * e;
        l = mu[t] * (1.0 + c[0] * e);
        b = b + c[1] * mu[t] * e;
    }
    assert_true(mu[N - 1] < 0.0); /* the case this test is about */
    double s2 = sse / NT;
    for (size_t t = NT; t < N; t++) {
        double e = (y[t] - mu[t]) / mu[t];
        ll += -0.5 * log(2.0 * M_PI * s2) - 0.5 * e * e / s2 - log(fabs(mu[t]));
    }
    double got;
    assert_int_equal(tsf_loglik(m, y, N, NULL, NT, &got), TSF_OK);
    assert_rel(got, ll, 1e-9, 1e-9);
    tsf_model_free(m);
}

static void expect_spec_error(const char *spec, const char *needle)
{
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new(spec, &m), TSF_EPARSE);
    assert_null(m);
    assert_errmsg_has(needle);
    assert_errmsg_has(spec);
}

static void expect_fit_error(const char *spec, const double *y, size_t n, int period,
                             const char *needle)
{
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, period, NULL), TSF_EINVAL);
    assert_errmsg_has(needle);
    tsf_model_free(m);
}

static void test_bad_input(void **state)
{
    (void)state;
    expect_spec_error("ets(XNN)", "column 5");
    expect_spec_error("ets(AXN)", "not a trend type");
    expect_spec_error("ets(AMN)", "multiplicative trend is not supported");
    expect_spec_error("ets(AN)", "lacks its season letter");
    expect_spec_error("ets(ANNN)", "unexpected 'N'");
    expect_spec_error("ets(ANdN)", "damping");
    expect_spec_error("ets(ANN, x=1)", "one model code");
    expect_spec_error("ets(ANN)(1)", "one model code");
    size_t n;
    double *y = airpass(&n);
    y[7] = 0.0;
    expect_fit_error("ets(MAM)", y, n, 12, "strictly positive data, but observation 8 is 0");
    expect_fit_error("ets(ANM)", y, n, 12, "multiplicative seasonality needs strictly positive");
    y[7] = -3.0;
    expect_fit_error("ets(MNN)", y, n, 12, "observation 8 is -3");
    /* automatic selection leaves the multiplicative forms out */
    tsf_model *m = NULL;
    tsf_fit_info info;
    assert_int_equal(tsf_model_new("ets", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 12, NULL), TSF_OK);
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_true(info.model[4] == 'A' && info.model[strlen(info.model) - 2] != 'M');
    for (size_t i = 0; i < info.ntrace; i++) assert_null(strstr(info.trace_labels[i], "M"));
    tsf_model_free(m);
    expect_fit_error("ets(ANA)", y, n, 1, "period above 1");
    expect_fit_error("ets(ANA)", y, n, 30, "too high");
    expect_fit_error("ets(AAdA)", y, 10, 12, "not more than one period");
    expect_fit_error("ets(AAdN)", y, 8, 1, "too few");
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admissible_region),
        cmocka_unit_test(test_variance_vs_simulation),
        cmocka_unit_test(test_state_and_files),
        cmocka_unit_test(test_normal_flag),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_negative_forecast),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
