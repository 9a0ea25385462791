/* Streaming state (tsf/state.h) against whole-series answers.
 *
 * The sum of the one-step log densities of tsf_state_update over a series
 * is log p(y_1..y_n) by the chain rule (prediction-error decomposition,
 * Harvey 1989, eq. 3.4.7), so it must equal tsf_loglik to rounding
 * (1e-9 absolute + 1e-11 relative); the
 * first two densities of an AR(1) are checked against the closed form
 * N(mu, sigma2/(1-phi^2)) and N(mu + phi (y1 - mu), sigma2); and the
 * forecast of the state after the whole series must equal tsf_forecast. */
#include "testutil.h"
#include <stdint.h>
#include "tsf/tsf.h"
#include "state_resume.h"

typedef struct {
    double *y;
    size_t n;
    tsf_frame *f;
} series;

static void load(const char *file, series *s)
{
    char path[512];
    snprintf(path, sizeof path, "datasets/%s", file);
    assert_int_equal(tsf_csv_read(path, &s->f), TSF_OK);
    s->y = s->f->cols[0];
    s->n = s->f->nrows;
}

static double state_sum(const tsf_model *m, const double *y, size_t n, tsf_state **keep)
{
    tsf_state *st = NULL;
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double lp = NAN;
        assert_int_equal(tsf_state_update(st, y[i], &lp), TSF_OK);
        assert_true(isfinite(lp));
        if (isnan(y[i])) assert_true(lp == 0.0);
        sum += lp;
    }
    if (keep) *keep = st;
    else tsf_state_free(st);
    return sum;
}

/* Fits spec (with transform tr) to y, compares the state's summed log
 * density with tsf_loglik (tolerance tol absolute) and the state's forecast
 * with tsf_forecast. */
static void check_spec_p(const char *spec, tsf_transform tr, const double *y, size_t n,
                         int period, double tol)
{
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o = {0};
    o.transform = tr;
    if (tsf_fit(m, y, n, NULL, period, &o) != TSF_OK) fail_msg("%s: %s", spec, tsf_errmsg());
    double ll;
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &ll), TSF_OK);
    tsf_state *st = NULL;
    double sum = state_sum(m, y, n, &st);
    /* tol absolute, plus 1e-11 relative: arima's filter switches to the
     * steady-state gain once P has converged to ~1e-11 (src/stats/arima_kf.c),
     * and the whole-series and streaming paths differ by that much; measured
     * differences are below 1e-13 for ar and 5e-9 to 7e-9 on |loglik| = 508
     * for arima, depending on where within the optimiser's tolerance the
     * fit ends. */
    assert_rel(sum, ll, 2e-11, tol);

    const double lv[2] = {80, 95};
    tsf_forecast_result *a = NULL, *b = NULL;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 6, lv, 2, NULL, &a), TSF_OK);
    assert_int_equal(tsf_state_forecast(st, 6, lv, 2, NULL, &b), TSF_OK);
    for (size_t i = 0; i < 6; i++) {
        assert_rel(b->mean[i], a->mean[i], 1e-9, 1e-9);
        assert_rel(b->upper[6 + i], a->upper[6 + i], 1e-9, 1e-9);
        assert_rel(b->lower[i], a->lower[i], 1e-9, 1e-9);
    }
    tsf_forecast_free(a);
    tsf_forecast_free(b);
    tsf_state_free(st);
    tsf_model_free(m);
}

static void check_spec(const char *spec, tsf_transform tr, const double *y, size_t n,
                       double tol)
{
    check_spec_p(spec, tr, y, n, 1, tol);
}

static void test_ar_sum_equals_loglik(void **ctx)
{
    (void)ctx;
    series s;
    load("LakeHuron.csv", &s);
    check_spec("ar(2)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    check_spec("ar(max=6, method=burg)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    check_spec("ar(3, method=mle)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    check_spec("ar(1, method=ols)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    tsf_frame_free(s.f);
}

static void test_ar_transform_and_missing(void **ctx)
{
    (void)ctx;
    series s;
    load("AirPassengers.csv", &s);
    /* Log scale: both sides carry the Jacobian -sum log y. */
    check_spec("ar(max=13)", TSF_TRANSFORM_LOG, s.y, s.n, 1e-9);
    tsf_frame_free(s.f);

    /* Missing values contribute 0 to the state and are skipped by loglik. */
    load("LakeHuron.csv", &s);
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("ar(2)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, s.y, s.n, NULL, 1, NULL), TSF_OK);
    double *y = malloc(s.n * sizeof *y);
    assert_non_null(y);
    memcpy(y, s.y, s.n * sizeof *y);
    y[0] = y[10] = y[11] = y[50] = y[s.n - 1] = NAN;
    double ll;
    assert_int_equal(tsf_loglik(m, y, s.n, NULL, 0, &ll), TSF_OK);
    assert_close(state_sum(m, y, s.n, NULL), ll, 1e-9);
    free(y);
    tsf_model_free(m);
    tsf_frame_free(s.f);
}

static void test_arima_sum_equals_loglik(void **ctx)
{
    (void)ctx;
    series s;
    load("AirPassengers.csv", &s);
    /* The airline model on the log scale: diffuse start of the differenced
     * part, Jacobian on both sides. */
    check_spec_p("arima(0,1,1)(0,1,1)[12]", TSF_TRANSFORM_LOG, s.y, s.n, 12, 1e-9);
    check_spec_p("arima(1,1,1)(0,1,0)[12]", TSF_TRANSFORM_NONE, s.y, s.n, 12, 1e-9);
    tsf_frame_free(s.f);
    load("LakeHuron.csv", &s);
    check_spec("arima(2,0,1)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9); /* with intercept */
    check_spec("arima(1,1,1)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    check_spec("arima(0,0,2)", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    tsf_frame_free(s.f);
}

static void test_arima_missing(void **ctx)
{
    (void)ctx;
    series s;
    load("LakeHuron.csv", &s);
    double *y = malloc(s.n * sizeof *y);
    assert_non_null(y);
    memcpy(y, s.y, s.n * sizeof *y);
    y[3] = y[40] = y[41] = y[s.n - 2] = NAN;
    static const char *const specs[] = {"arima(1,0,1)", "arima(1,1,0)", "arima(0,1,1)"};
    for (size_t k = 0; k < 3; k++) {
        tsf_model *m = NULL;
        assert_int_equal(tsf_model_new(specs[k], &m), TSF_OK);
        if (tsf_fit(m, y, s.n, NULL, 1, NULL) != TSF_OK) fail_msg("%s: %s", specs[k], tsf_errmsg());
        double ll;
        assert_int_equal(tsf_loglik(m, y, s.n, NULL, 0, &ll), TSF_OK);
        assert_close(state_sum(m, y, s.n, NULL), ll, 1e-9);
        tsf_model_free(m);
    }
    free(y);
    tsf_frame_free(s.f);
}

static void test_auto_sum_equals_loglik(void **ctx)
{
    (void)ctx;
    series s;
    load("AirPassengers.csv", &s);
    check_spec_p("auto", TSF_TRANSFORM_LOG, s.y, s.n, 12, 1e-9);
    tsf_frame_free(s.f);
    load("LakeHuron.csv", &s);
    check_spec("auto", TSF_TRANSFORM_NONE, s.y, s.n, 1e-9);
    tsf_frame_free(s.f);
    load("USAccDeaths.csv", &s);
    check_spec_p("auto", TSF_TRANSFORM_NONE, s.y, s.n, 12, 1e-9);
    tsf_frame_free(s.f);
}

/* The first two one-step densities of a fitted AR(1) in closed form. */
static void test_ar1_closed_form(void **ctx)
{
    (void)ctx;
    series s;
    load("LakeHuron.csv", &s);
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("ar(1)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, s.y, s.n, NULL, 1, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.ncoef, 1);
    double phi = info.coef[0], mu = info.mean, s2 = info.sigma2;
    tsf_state *st = NULL;
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    double lp1, lp2;
    assert_int_equal(tsf_state_update(st, s.y[0], &lp1), TSF_OK);
    assert_int_equal(tsf_state_update(st, s.y[1], &lp2), TSF_OK);
    double v0 = s2 / (1.0 - phi * phi), e1 = s.y[0] - mu;
    double e2 = s.y[1] - mu - phi * e1;
    assert_close(lp1, -0.5 * log(2 * M_PI * v0) - e1 * e1 / (2 * v0), 1e-10);
    assert_close(lp2, -0.5 * log(2 * M_PI * s2) - e2 * e2 / (2 * s2), 1e-10);
    /* Infinite input is an error, not a NaN density. */
    double lp;
    assert_int_equal(tsf_state_update(st, INFINITY, &lp), TSF_EINVAL);
    tsf_state_free(st);
    tsf_state_free(NULL);
    tsf_model_free(m);
    tsf_frame_free(s.f);
}

/* A state needs a fitted model. */
static void test_unfitted(void **ctx)
{
    (void)ctx;
    tsf_model *m = NULL;
    tsf_state *st = NULL;
    assert_int_equal(tsf_model_new("ar(2)", &m), TSF_OK);
    assert_int_equal(tsf_state_new(m, &st), TSF_EINVAL);
    assert_null(st);
    assert_errmsg_has("not been fitted");
    tsf_model_free(m);
}

/* Saved states resume where they stopped (tsf_state_save/load), under the
 * model itself and under its copy from a model file; a state is refused by
 * another model, and a damaged or foreign file is an error, not a crash. */
static void test_save_resume(void **ctx)
{
    (void)ctx;
    series s;
    load("AirPassengers.csv", &s);
    const char *specs[] = {"ar(2)", "arima(1,1,1)(0,1,1)[12]", "auto", "arima(2,0,0)"};
    char mpath[] = "/tmp/tsf_model_XXXXXX";
    int fd = mkstemp(mpath);
    assert_true(fd >= 0);
    close(fd);
    for (size_t k = 0; k < 4; k++) {
        tsf_model *m = NULL, *m2 = NULL;
        assert_int_equal(tsf_model_new(specs[k], &m), TSF_OK);
        tsf_fit_opts o = {0};
        o.transform = k == 3 ? TSF_TRANSFORM_LOG : TSF_TRANSFORM_NONE;
        if (tsf_fit(m, s.y, s.n, NULL, 12, &o) != TSF_OK) fail_msg("%s: %s", specs[k], tsf_errmsg());
        /* a cut inside the first d + sD observations (kappa phase), one
         * after the filter has converged */
        check_resume(m, m, s.y, s.n, 5);
        check_resume(m, m, s.y, s.n, 100);
        assert_int_equal(tsf_save(m, mpath), TSF_OK);
        assert_int_equal(tsf_load(mpath, &m2), TSF_OK);
        check_resume(m, m2, s.y, s.n, 60);
        tsf_model_free(m2);
        tsf_model_free(m);
    }
    /* refusals */
    char spath[] = "/tmp/tsf_state_XXXXXX";
    fd = mkstemp(spath);
    assert_true(fd >= 0);
    close(fd);
    tsf_model *m = NULL, *other = NULL, *fam = NULL;
    assert_int_equal(tsf_model_new("arima(1,1,1)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, s.y, s.n, NULL, 12, NULL), TSF_OK);
    assert_int_equal(tsf_model_new("arima(1,1,1)", &other), TSF_OK);
    assert_int_equal(tsf_fit(other, s.y, s.n - 1, NULL, 12, NULL), TSF_OK);
    assert_int_equal(tsf_model_new("ar(1)", &fam), TSF_OK);
    assert_int_equal(tsf_fit(fam, s.y, s.n, NULL, 12, NULL), TSF_OK);
    tsf_state *st = NULL, *back = NULL;
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    for (size_t i = 0; i < 30; i++) assert_int_equal(tsf_state_update(st, s.y[i], NULL), TSF_OK);
    assert_int_equal(tsf_state_save(st, spath), TSF_OK);
    assert_int_equal(tsf_state_load(other, spath, &back), TSF_EINVAL);
    assert_null(back);
    assert_errmsg_has("another model");
    assert_int_equal(tsf_state_load(fam, spath, &back), TSF_EINVAL);
    assert_errmsg_has("family");
    /* a model file is not a state file */
    assert_int_equal(tsf_state_load(m, mpath, &back), TSF_EPARSE);
    assert_errmsg_has("not a tsf state file");
    /* every truncation of the file is refused cleanly */
    FILE *f = fopen(spath, "rb");
    assert_non_null(f);
    unsigned char buf[8192];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(len > 100 && len < sizeof buf);
    for (size_t cut = 0; cut < len; cut += 7) {
        f = fopen(spath, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, cut, f), cut);
        fclose(f);
        assert_int_not_equal(tsf_state_load(m, spath, &back), TSF_OK);
        assert_null(back);
    }
    tsf_state_free(st);
    tsf_model_free(m);
    tsf_model_free(other);
    tsf_model_free(fam);
    remove(spath);
    remove(mpath);
    tsf_frame_free(s.f);
}

/* A regression with ARIMA errors and a user regressor streams through
 * tsf_state_update_x: the densities sum to tsf_loglik with the same
 * regressors, and the state's forecast with opts.xreg_future equals
 * tsf_forecast's. */
static void test_user_regressors(void **ctx)
{
    (void)ctx;
    enum { N = 120, H = 5 };
    double y[N], x[N + H], e = 0.0;
    uint64_t r = 7;
    for (size_t t = 0; t < N + H; t++) x[t] = sin(0.3 * (double)t) + 0.01 * (double)t;
    for (size_t t = 0; t < N; t++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = ((double)(r >> 11) / 9007199254740992.0) - 0.5;
        e = 0.6 * e + u;
        y[t] = 2.0 + 3.0 * x[t] + e;
    }
    y[50] = NAN;
    tsf_xreg xr = {1, x, N, NULL}, xf = {1, x + N, H, NULL};
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new("arima(1,0,0)", &m), TSF_OK);
    if (tsf_fit(m, y, N, &xr, 1, NULL) != TSF_OK) fail_msg("%s", tsf_errmsg());
    double ll;
    assert_int_equal(tsf_loglik(m, y, N, &xr, 0, &ll), TSF_OK);
    tsf_state *st = NULL;
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    double lp, sum = 0.0;
    assert_int_equal(tsf_state_update(st, y[0], &lp), TSF_EINVAL);
    assert_errmsg_has("tsf_state_update_x");
    for (size_t t = 0; t < N; t++) {
        assert_int_equal(tsf_state_update_x(st, y[t], &x[t], 1, &lp), TSF_OK);
        sum += lp;
    }
    assert_rel(sum, ll, 1e-11, 1e-9);
    const double lv[1] = {95};
    tsf_forecast_opts o = {0};
    tsf_forecast_result *a = NULL, *b = NULL;
    assert_int_equal(tsf_state_forecast(st, H, lv, 1, NULL, &b), TSF_EINVAL);
    o.xreg_future = &xf;
    assert_int_equal(tsf_forecast(m, y, N, &xr, H, lv, 1, &o, &a), TSF_OK);
    assert_int_equal(tsf_state_forecast(st, H, lv, 1, &o, &b), TSF_OK);
    for (size_t i = 0; i < H; i++) {
        assert_rel(b->mean[i], a->mean[i], 1e-9, 1e-9);
        assert_rel(b->upper[i], a->upper[i], 1e-9, 1e-9);
    }
    tsf_forecast_free(a);
    tsf_forecast_free(b);
    tsf_state_free(st);
    /* simulation along given regressor paths: the mean over paths is the
     * regression line intercept + beta x_t (stationary AR(1) errors) */
    enum { NP = 4000, NS = H };
    double *paths = malloc(NP * NS * sizeof *paths);
    assert_non_null(paths);
    assert_int_equal(tsf_simulate(m, NS, 2, 1, paths), TSF_EINVAL);
    tsf_xreg xs = {1, x + N, NS, NULL};
    assert_int_equal(tsf_simulate_x(m, NS, NP, 3, &xs, paths), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.ncoef, 3); /* ar1, intercept, xreg1 */
    double phi = info.coef[0], c0 = info.coef[1], b1 = info.coef[2];
    double sd = sqrt(info.sigma2 / (1.0 - phi * phi)) / sqrt((double)NP);
    for (size_t t = 0; t < NS; t++) {
        double mean = 0.0;
        for (size_t k = 0; k < NP; k++) mean += paths[k * NS + t] / NP;
        assert_close(mean, c0 + b1 * x[N + t], 4.5 * sd);
    }
    free(paths);
    tsf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ar_sum_equals_loglik),
        cmocka_unit_test(test_ar_transform_and_missing),
        cmocka_unit_test(test_ar1_closed_form),
        cmocka_unit_test(test_arima_sum_equals_loglik),
        cmocka_unit_test(test_arima_missing),
        cmocka_unit_test(test_auto_sum_equals_loglik),
        cmocka_unit_test(test_unfitted),
        cmocka_unit_test(test_save_resume),
        cmocka_unit_test(test_user_regressors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
