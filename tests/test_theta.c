/* The theta family against forecast::thetaf (values from R by
 * tests/r/thetaf_reference.R in tests/data/thetaf_reference.csv), and its
 * own consistency: likelihood = sum of streaming one-step densities,
 * streaming forecasts = forecasts, model files round-trip. */
#include <unistd.h>
#include "testutil.h"
#include "series_reader.h"
#include "tsf/tsf.h"
#include "stats/theta.h"

typedef struct {
    char name[32];
    int period, seasonal;
    double alpha, sigma2, mean[12], lo80[12], hi80[12], lo95[12], hi95[12];
} ref_case;

static size_t read_refs(ref_case *c, size_t max)
{
    char path[512], line[512];
    FILE *f = fopen(test_path("data/thetaf_reference.csv", path, sizeof path), "r");
    assert_non_null(f);
    size_t n = 0;
    assert_non_null(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        char name[32];
        int period, seas, step;
        double al, s2, m, l8, h8, l9, h9;
        if (sscanf(line, "%31[^,],%d,%d,%lf,%lf,%d,%lf,%lf,%lf,%lf,%lf", name, &period, &seas,
                   &al, &s2, &step, &m, &l8, &h8, &l9, &h9) != 11)
            fail_msg("bad reference line %s", line);
        if (step == 1) {
            assert_true(n < max);
            memset(&c[n], 0, sizeof c[n]);
            snprintf(c[n].name, sizeof c[n].name, "%s", name);
            c[n].period = period;
            c[n].seasonal = seas;
            c[n].alpha = al;
            c[n].sigma2 = s2;
            n++;
        }
        ref_case *r = &c[n - 1];
        assert_true(step >= 1 && step <= 12);
        r->mean[step - 1] = m;
        r->lo80[step - 1] = l8;
        r->hi80[step - 1] = h8;
        r->lo95[step - 1] = l9;
        r->hi95[step - 1] = h9;
    }
    fclose(f);
    return n;
}

/* Forecasts and both intervals within 2% of R's standard error at each
 * step (the tolerance of the ARIMA reference tests): R's alpha comes from
 * Nelder-Mead, tsf's from a grid and Brent on the profiled MSE. */
static void test_thetaf_reference(void **state)
{
    (void)state;
    ref_case refs[32];
    size_t nref = read_refs(refs, 32), nseas = 0;
    assert_true(nref >= 10);
    static const double lv[2] = {80, 95};
    for (size_t k = 0; k < nref; k++) {
        const ref_case *r = &refs[k];
        size_t n;
        char nm[32];
        memcpy(nm, r->name, sizeof nm);
        double *y = read_dataset(nm, &n);
        if (!y) fail_msg("cannot read datasets/%s.csv", r->name);
        tsf_model *m;
        tsf_forecast_result *fc;
        tsf_fit_info info;
        assert_int_equal(tsf_model_new("theta", &m), TSF_OK);
        if (tsf_fit(m, y, n, NULL, r->period, NULL) != TSF_OK)
            fail_msg("%s: %s", r->name, tsf_errmsg());
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        if ((info.period > 1) != r->seasonal)
            fail_msg("%s: seasonal %d, R's test says %d", r->name, info.period > 1, r->seasonal);
        nseas += (size_t)r->seasonal;
        assert_int_equal(tsf_forecast(m, y, n, NULL, 12, lv, 2, NULL, &fc), TSF_OK);
        assert_true(fc->normal);
        for (size_t i = 0; i < 12; i++) {
            double se = (r->hi95[i] - r->mean[i]) / tsf_qnorm(0.975), tol = 0.02 * se;
            if (!(fabs(fc->mean[i] - r->mean[i]) <= tol) ||
                !(fabs(fc->lower[i] - r->lo80[i]) <= tol) ||
                !(fabs(fc->upper[i] - r->hi80[i]) <= tol) ||
                !(fabs(fc->lower[12 + i] - r->lo95[i]) <= tol) ||
                !(fabs(fc->upper[12 + i] - r->hi95[i]) <= tol))
                fail_msg("%s step %zu: tsf %.6g [%.6g, %.6g], R %.6g [%.6g, %.6g] (se %.4g; "
                         "alpha %.6g vs R %.6g)", r->name, i + 1, fc->mean[i], fc->lower[12 + i],
                         fc->upper[12 + i], r->mean[i], r->lo95[i], r->hi95[i], se,
                         info.coef[0], r->alpha);
        }
        tsf_forecast_free(fc);
        tsf_model_free(m);
        free(y);
    }
    assert_true(nseas >= 4 && nseas + 4 <= nref); /* both kinds covered */
}

/* tsf_loglik = the sum of the streaming one-step log densities = the sum
 * of Gaussian densities of the one-step errors written out here; the
 * streaming forecast after the series = tsf_forecast; a saved model gives
 * the same forecasts and likelihood back. */
static void test_theta_consistency(void **state)
{
    (void)state;
    size_t n;
    double *y = read_dataset("USAccDeaths", &n);
    assert_non_null(y);
    tsf_model *m, *m2;
    tsf_state *st;
    tsf_fit_info info;
    assert_int_equal(tsf_model_new("theta", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 12, NULL), TSF_OK);
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.period, 12);
    /* the one-step errors by hand: SES level plus drift times c_t */
    double fitted[200];
    assert_true(n <= 200);
    assert_int_equal(tsf_residuals(m, y, n, NULL, fitted, NULL), TSF_OK);
    double ll = 0.0, sum = 0.0, lp, a = info.coef[0], L = info.coef[1], c = 0.0;
    for (size_t t = 0; t < n; t++) {
        double e = y[t] - fitted[t];
        ll += -0.5 * log(2 * M_PI * info.sigma2) - e * e / (2 * info.sigma2);
        double s = fitted[t] / (L + info.coef[2] * c); /* the seasonal index */
        L += a * (y[t] / s - L);
        c = 1.0 + (1.0 - a) * c;
    }
    assert_rel(info.loglik, ll, 1e-10, 0.0);
    double ll5;
    assert_int_equal(tsf_loglik(m, y, n, NULL, 5, &ll5), TSF_OK);
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    for (size_t t = 0; t < n; t++) {
        assert_int_equal(tsf_state_update(st, y[t], &lp), TSF_OK);
        if (t >= 5) sum += lp;
    }
    assert_rel(sum, ll5, 1e-10, 1e-9);
    static const double lv[1] = {90};
    tsf_forecast_result *f1, *f2, *f3;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 14, lv, 1, NULL, &f1), TSF_OK);
    assert_int_equal(tsf_state_forecast(st, 14, lv, 1, NULL, &f2), TSF_OK);
    char path[] = "/tmp/tsf_theta_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tsf_save(m, path), TSF_OK);
    assert_int_equal(tsf_load(path, &m2), TSF_OK);
    remove(path);
    assert_int_equal(tsf_forecast(m2, y, n, NULL, 14, lv, 1, NULL, &f3), TSF_OK);
    for (size_t i = 0; i < 14; i++) {
        assert_rel(f2->mean[i], f1->mean[i], 1e-12, 0);
        assert_rel(f2->upper[i], f1->upper[i], 1e-12, 0);
        assert_rel(f3->mean[i], f1->mean[i], 1e-12, 0);
        assert_rel(f3->lower[i], f1->lower[i], 1e-12, 0);
    }
    double ll2;
    assert_int_equal(tsf_loglik(m2, y, n, NULL, 0, &ll2), TSF_OK);
    assert_rel(ll2, info.loglik, 1e-12, 0);
    /* simulated paths have the model's one-step error variance */
    double sim[2000];
    assert_int_equal(tsf_simulate(m, 100, 20, 7, sim), TSF_OK);
    double v = 0.0;
    for (int p = 0; p < 20; p++) {
        assert_int_equal(tsf_residuals(m, sim + p * 100, 100, NULL, fitted, NULL), TSF_OK);
        for (int t = 0; t < 100; t++) v += pow(sim[p * 100 + t] - fitted[t], 2) / 2000.0;
    }
    assert_rel(v, info.sigma2, 0.1, 0);
    tsf_forecast_free(f1);
    tsf_forecast_free(f2);
    tsf_forecast_free(f3);
    tsf_state_free(st);
    tsf_model_free(m);
    tsf_model_free(m2);
    free(y);
}

/* The DOTM written out from Fiorucci et al. (2016, section 3.2) with the
 * regression line recomputed by direct least squares at every t: the
 * one-step means of x_1..x_n for (alpha, l0, theta); returns the SSE and
 * the forecast mean h steps after n into fh (when h > 0). */
static double dotm_direct(const double *x, size_t n, double alpha, double l0, double theta,
                          size_t h, double *fh)
{
    double l = l0, sse = 0.0, A = 0.0, B = 0.0, w = 1.0 - 1.0 / theta;
    for (size_t t = 1; t <= n + 1; t++) {
        /* mu_t uses the line of x_1..x_{t-1} */
        double q = pow(1.0 - alpha, (double)(t - 1));
        if (t == n + 1) {
            for (size_t i = 1; i <= h; i++)
                fh[i - 1] = l + w * (q * A + ((double)(i - 1) + (1.0 - pow(1.0 - alpha, (double)t)) /
                                                  alpha) * B);
            break;
        }
        double mu = l + w * (q * A + (1.0 - pow(1.0 - alpha, (double)t)) / alpha * B);
        sse += (x[t - 1] - mu) * (x[t - 1] - mu);
        l = alpha * x[t - 1] + (1.0 - alpha) * l;
        double sx = 0, sy = 0, sxx = 0, sxy = 0, m = (double)t;
        for (size_t i = 1; i <= t; i++) {
            sx += (double)i;
            sy += x[i - 1];
            sxx += (double)(i * i);
            sxy += (double)i * x[i - 1];
        }
        B = t > 1 ? (sxy - sx * sy / m) / (sxx - sx * sx / m) : 0.0;
        A = sy / m - B * sx / m;
    }
    return sse;
}

/* theta(optimized) on non-seasonal series: its likelihood and forecasts
 * are those of the model written out above, and no (alpha, theta) on a
 * grid (with the best l0 for each, by a closed form) fits better. */
static void test_dotm(void **state)
{
    (void)state;
    static const char *const names[] = {"Nile", "WWWusage", "BJsales", "LakeHuron", "airmiles"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t n;
        double *y = read_dataset(names[k], &n), ll, fh[8];
        assert_non_null(y);
        tsf_model *m;
        tsf_fit_info info;
        tsf_forecast_result *fc;
        assert_int_equal(tsf_model_new("theta(optimized)", &m), TSF_OK);
        assert_int_equal(tsf_fit(m, y, n, NULL, 1, NULL), TSF_OK);
        assert_int_equal(tsf_model_info(m, &info), TSF_OK);
        assert_string_equal(info.model, "DOTM");
        assert_string_equal(info.coef_names[2], "theta");
        double a = info.coef[0], l0 = info.coef[1], th = info.coef[2];
        assert_true(a >= 0.1 && a <= 0.99 && th >= 1.0);
        double sse = dotm_direct(y, n, a, l0, th, 8, fh);
        assert_rel(info.sigma2, sse / (double)n, 1e-8, 0);
        ll = -0.5 * (double)n * (log(2 * M_PI * sse / (double)n) + 1.0);
        assert_rel(info.loglik, ll, 1e-8, 0);
        static const double lv[1] = {95};
        assert_int_equal(tsf_forecast(m, y, n, NULL, 8, lv, 1, NULL, &fc), TSF_OK);
        for (size_t i = 0; i < 8; i++) {
            double se = sqrt(info.sigma2 * (1.0 + (double)i * a * a));
            assert_rel(fc->mean[i], fh[i], 1e-8, 1e-8 * se);
            assert_rel(fc->upper[i], fh[i] + tsf_qnorm(0.975) * se, 1e-8, 1e-8 * se);
        }
        /* optimality: a grid over alpha and theta, l0 by least squares
         * (the SSE is quadratic in l0: three evaluations give its minimum) */
        for (double ga = 0.1; ga <= 0.99; ga += 0.01)
            for (double gt = 1.0; gt <= 6.0; gt += 0.25) {
                double f0 = dotm_direct(y, n, ga, 0.0, gt, 0, NULL);
                double f1 = dotm_direct(y, n, ga, 1.0, gt, 0, NULL);
                double f2 = dotm_direct(y, n, ga, -1.0, gt, 0, NULL);
                double c2 = 0.5 * (f1 + f2) - f0, c1 = 0.5 * (f1 - f2);
                double best = f0 - c1 * c1 / (4.0 * c2);
                if (best < sse * (1.0 - 1e-9))
                    fail_msg("%s: alpha %.2f theta %.2f gives SSE %.8g < tsf's %.8g (alpha %.4f "
                             "theta %.4f)", names[k], ga, gt, best, sse, a, th);
            }
        tsf_forecast_free(fc);
        tsf_model_free(m);
        free(y);
    }
}

/* For both methods, seasonal and not: streaming one-step densities sum to
 * tsf_loglik, the streaming forecast and a reloaded model's forecast are
 * the forecast, and a streaming state survives a save/load mid-series. */
static void test_theta_stream_files(void **state)
{
    (void)state;
    static const char *const specs[] = {"theta", "theta(optimized)"};
    static const char *const data[] = {"AirPassengers", "Nile"};
    static const int periods[] = {12, 1};
    static const double lv[1] = {80};
    for (int k = 0; k < 4; k++) {
        size_t n;
        double *y = read_dataset(data[k % 2], &n), ll, sum = 0.0, lp;
        tsf_model *m, *m2;
        tsf_state *st, *st2;
        tsf_forecast_result *f1, *f2, *f3;
        assert_int_equal(tsf_model_new(specs[k / 2], &m), TSF_OK);
        assert_int_equal(tsf_fit(m, y, n, NULL, periods[k % 2], NULL), TSF_OK);
        assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
        assert_int_equal(tsf_state_new(m, &st), TSF_OK);
        char path[] = "/tmp/tsf_theta_st_XXXXXX", mpath[] = "/tmp/tsf_theta_m_XXXXXX";
        int fd = mkstemp(path), fd2 = mkstemp(mpath);
        assert_true(fd >= 0 && fd2 >= 0);
        close(fd);
        close(fd2);
        for (size_t t = 0; t < n; t++) {
            if (t == n / 2) { /* resume from a file halfway */
                assert_int_equal(tsf_state_save(st, path), TSF_OK);
                tsf_state_free(st);
                assert_int_equal(tsf_state_load(m, path, &st), TSF_OK);
            }
            assert_int_equal(tsf_state_update(st, y[t], &lp), TSF_OK);
            sum += lp;
        }
        assert_rel(sum, ll, 1e-10, 1e-9);
        assert_int_equal(tsf_forecast(m, y, n, NULL, 15, lv, 1, NULL, &f1), TSF_OK);
        assert_int_equal(tsf_state_forecast(st, 15, lv, 1, NULL, &f2), TSF_OK);
        assert_int_equal(tsf_save(m, mpath), TSF_OK);
        assert_int_equal(tsf_load(mpath, &m2), TSF_OK);
        assert_int_equal(tsf_forecast(m2, y, n, NULL, 15, lv, 1, NULL, &f3), TSF_OK);
        assert_int_equal(tsf_state_new(m2, &st2), TSF_OK);
        for (size_t i = 0; i < 15; i++) {
            assert_rel(f2->mean[i], f1->mean[i], 1e-10, 0);
            assert_rel(f2->lower[i], f1->lower[i], 1e-10, 0);
            assert_rel(f3->mean[i], f1->mean[i], 1e-12, 0);
            assert_rel(f3->upper[i], f1->upper[i], 1e-12, 0);
        }
        remove(path);
        remove(mpath);
        tsf_forecast_free(f1);
        tsf_forecast_free(f2);
        tsf_forecast_free(f3);
        tsf_state_free(st);
        tsf_state_free(st2);
        tsf_model_free(m);
        tsf_model_free(m2);
        free(y);
    }
}

static void test_theta_bad(void **state)
{
    (void)state;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("theta(2)", &m), TSF_EPARSE);
    assert_errmsg_has("column 7");
    assert_null(m);
    assert_int_equal(tsf_model_new("theta(fast)", &m), TSF_EPARSE);
    assert_errmsg_has("theta(optimized)");
    assert_int_equal(tsf_model_new("theta(optimized, 2)", &m), TSF_EPARSE);
    assert_errmsg_has("column 18");
    double y[6] = {1, 2, NAN, 4, 5, 6};
    assert_int_equal(tsf_model_new("theta", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, 6, NULL, 1, NULL), TSF_EINVAL);
    assert_errmsg_has("observation 3 is missing");
    double k[6] = {3, 3, 3, 3, 3, 3};
    assert_int_equal(tsf_fit(m, k, 6, NULL, 1, NULL), TSF_EDEGENERATE);
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thetaf_reference),
        cmocka_unit_test(test_theta_consistency),
        cmocka_unit_test(test_dotm),
        cmocka_unit_test(test_theta_stream_files),
        cmocka_unit_test(test_theta_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
