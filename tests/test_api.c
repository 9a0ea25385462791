/* The embedding contract of the public API (docs/embedding.md): option
 * structs that grow (the size rule), fits on small thread stacks, NULL
 * handling of every entry point. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include "testutil.h"
#include "series_reader.h"
#include "core/internal.h"

/* ---- option structs: the size rule ---- */

static void test_opts_init(void **state)
{
    (void)state;
    tsf_fit_opts o;
    memset(&o, 0xff, sizeof o);
    tsf_fit_opts_init(&o);
    assert_int_equal(o.size, sizeof o);
    assert_int_equal(o.method, TSF_METHOD_DEFAULT);
    assert_int_equal(o.period, 0);
    assert_null(o.progress);
    tsf_forecast_opts f;
    memset(&f, 0xff, sizeof f);
    tsf_forecast_opts_init(&f);
    assert_int_equal(f.size, sizeof f);
    assert_null(f.xreg_future);
    tsf_fit_opts_init(NULL); /* harmless */
    tsf_forecast_opts_init(NULL);
}

static void test_opts_sizes(void **state)
{
    (void)state;
    tsf_fit_opts in, out;
    /* size 0: the 1.0 layout, every field read */
    memset(&in, 0, sizeof in);
    in.period = 7;
    in.seed = 42;
    in.progress_ctx = &in;
    assert_int_equal(tsf_fit_opts_read(&in, &out), TSF_OK);
    assert_int_equal(out.period, 7);
    assert_int_equal(out.seed, 42);
    assert_ptr_equal(out.progress_ctx, &in);
    assert_int_equal(out.size, sizeof out);
    /* NULL: the defaults */
    assert_int_equal(tsf_fit_opts_read(NULL, &out), TSF_OK);
    assert_int_equal(out.period, 0);
    /* a size smaller than any layout (garbage or a wrong struct) */
    in.size = 3;
    assert_int_equal(tsf_fit_opts_read(&in, &out), TSF_EINVAL);
    assert_errmsg_has("tsf_fit_opts_init");
    /* a newer caller: a larger struct whose unknown tail is zero is fine... */
    unsigned char big[sizeof(tsf_fit_opts) + 16];
    memset(big, 0, sizeof big);
    tsf_fit_opts_init((tsf_fit_opts *)(void *)big);
    ((tsf_fit_opts *)(void *)big)->size = sizeof big;
    ((tsf_fit_opts *)(void *)big)->period = 4;
    assert_int_equal(tsf_fit_opts_read((tsf_fit_opts *)(void *)big, &out), TSF_OK);
    assert_int_equal(out.period, 4);
    /* ...one that sets an option this library does not know is refused */
    big[sizeof(tsf_fit_opts) + 3] = 1;
    assert_int_equal(tsf_fit_opts_read((tsf_fit_opts *)(void *)big, &out), TSF_EUNSUP);
    assert_errmsg_has("newer tsf");
    tsf_forecast_opts fin, fout;
    memset(&fin, 0, sizeof fin);
    fin.samples = 17;
    assert_int_equal(tsf_forecast_opts_read(&fin, &fout), TSF_OK);
    assert_int_equal(fout.samples, 17);
    fin.size = 1;
    assert_int_equal(tsf_forecast_opts_read(&fin, &fout), TSF_EINVAL);
}

/* The public entry points apply the rule: a bad size fails the call. */
static void test_opts_through_api(void **state)
{
    (void)state;
    size_t n;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    tsf_model *m;
    assert_int_equal(tsf_model_new("arima(1,1,1)", &m), TSF_OK);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.size = 2;
    assert_int_equal(tsf_fit(m, y, n, NULL, 1, &o), TSF_EINVAL);
    tsf_fit_opts_init(&o);
    assert_int_equal(tsf_fit(m, y, n, NULL, 1, &o), TSF_OK);
    tsf_forecast_opts fo;
    tsf_forecast_opts_init(&fo);
    fo.size = 5;
    double lv = 95;
    tsf_forecast_result *fc = NULL;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 3, &lv, 1, &fo, &fc), TSF_EINVAL);
    assert_null(fc);
    tsf_forecast_opts_init(&fo);
    assert_int_equal(tsf_forecast(m, y, n, NULL, 3, &lv, 1, &fo, &fc), TSF_OK);
    tsf_forecast_free(fc);
    tsf_model_free(m);
    free(y);
}

/* ---- the shared formulas, against closed forms ---- */

static void test_shared_formulas(void **state)
{
    (void)state;
    /* log N(1; 0, 2) = -(log(4 pi) + 1/2) / 2 */
    assert_close(tsf_gauss_logpdf(1.0, 2.0), -0.5 * (log(4.0 * M_PI) + 0.5), 1e-15);
    double aic, aicc, bic;
    tsf_info_criteria(-100.0, 3.0, 50.0, &aic, &aicc, &bic);
    assert_close(aic, 206.0, 1e-12);
    assert_close(aicc, 206.0 + 24.0 / 46.0, 1e-12);
    assert_close(bic, 200.0 + 3.0 * log(50.0), 1e-12);
    tsf_info_criteria(-100.0, 3.0, 4.0, &aic, &aicc, &bic);
    assert_true(isinf(aicc) && aicc > 0);
    /* Phi^-1(0.975) = 1.959963984540054, Phi^-1(0.9) = 1.2815515655446004 */
    tsf_forecast_result fc;
    memset(&fc, 0, sizeof fc);
    double lv[2] = {95.0, 80.0};
    assert_int_equal(tsf_forecast_alloc(&fc, 2, lv, 2), TSF_OK);
    fc.mean[0] = 10.0, fc.mean[1] = -1.0;
    fc.se[0] = 2.0, fc.se[1] = 0.5;
    tsf_normal_intervals(&fc);
    assert_close(fc.lower[0], 10.0 - 2.0 * 1.959963984540054, 1e-12);
    assert_close(fc.upper[1], -1.0 + 0.5 * 1.959963984540054, 1e-12);
    assert_close(fc.lower[2], 10.0 - 2.0 * 1.2815515655446004, 1e-12);
    assert_close(fc.upper[3], -1.0 + 0.5 * 1.2815515655446004, 1e-12);
    free(fc.mean), free(fc.se), free(fc.levels), free(fc.lower), free(fc.upper);
}

/* ---- NULL arguments: TSF_EINVAL, never a crash (tsf/model.h's rule) ---- */

static void test_null_arguments(void **state)
{
    (void)state;
    double y[30], ll, q, p, out[4];
    for (int i = 0; i < 30; i++) y[i] = sin(i) + 0.1 * i;
    tsf_model *m = NULL;
    assert_int_equal(tsf_model_new(NULL, &m), TSF_EINVAL);
    assert_int_equal(tsf_model_new("ar", NULL), TSF_EINVAL);
    assert_string_equal(tsf_model_spec(NULL), "");
    assert_string_equal(tsf_model_family(NULL), "");
    assert_int_equal(tsf_model_is_neural(NULL), 0);
    assert_int_equal(tsf_fit(NULL, y, 30, NULL, 1, NULL), TSF_EINVAL);
    assert_int_equal(tsf_fit_many(NULL, NULL, NULL, 0, 1, NULL), TSF_EINVAL);
    assert_int_equal(tsf_loglik(NULL, y, 30, NULL, 0, &ll), TSF_EINVAL);
    assert_int_equal(tsf_model_new("arima(1,0,0)", &m), TSF_OK);
    assert_int_equal(tsf_fit_many(m, NULL, NULL, 2, 1, NULL), TSF_EINVAL);
    assert_int_equal(tsf_fit(m, NULL, 30, NULL, 1, NULL), TSF_EINVAL);
    assert_int_equal(tsf_fit(m, y, 30, NULL, 1, NULL), TSF_OK);
    assert_int_equal(tsf_model_info(m, NULL), TSF_EINVAL);
    assert_int_equal(tsf_loglik(m, y, 30, NULL, 0, NULL), TSF_EINVAL);
    assert_int_equal(tsf_loglik(m, NULL, 30, NULL, 0, &ll), TSF_EINVAL);
    double lv = 90;
    tsf_forecast_result *fc = NULL;
    assert_int_equal(tsf_forecast(m, y, 30, NULL, 2, &lv, 1, NULL, NULL), TSF_EINVAL);
    assert_int_equal(tsf_forecast(m, y, 30, NULL, 2, NULL, 1, NULL, &fc), TSF_EINVAL);
    assert_null(fc);
    assert_int_equal(tsf_simulate(m, 4, 1, 1, NULL), TSF_EINVAL);
    assert_int_equal(tsf_simulate(NULL, 4, 1, 1, out), TSF_EINVAL);
    assert_int_equal(tsf_residuals(m, NULL, 30, NULL, out, out), TSF_EINVAL);
    assert_int_equal(tsf_save(m, NULL), TSF_EINVAL);
    assert_int_equal(tsf_save(NULL, "x"), TSF_EINVAL);
    tsf_model *loaded = NULL;
    assert_int_equal(tsf_load(NULL, &loaded), TSF_EINVAL);
    assert_null(loaded);
    assert_int_equal(tsf_load("x", NULL), TSF_EINVAL);
    tsf_state *st = NULL;
    assert_int_equal(tsf_state_new(NULL, &st), TSF_EINVAL);
    assert_int_equal(tsf_state_new(m, NULL), TSF_EINVAL);
    assert_int_equal(tsf_state_update(NULL, 1.0, &ll), TSF_EINVAL);
    assert_int_equal(tsf_state_forecast(NULL, 1, &lv, 1, NULL, &fc), TSF_EINVAL);
    assert_int_equal(tsf_state_save(NULL, "x"), TSF_EINVAL);
    assert_int_equal(tsf_state_load(m, NULL, &st), TSF_EINVAL);
    assert_int_equal(tsf_state_load(NULL, "x", &st), TSF_EINVAL);
    assert_int_equal(tsf_csv_read(NULL, NULL), TSF_EINVAL);
    size_t idx;
    assert_int_equal(tsf_frame_column(NULL, "x", &idx), TSF_EINVAL);
    assert_int_equal(tsf_ljung_box(NULL, 30, 5, 0, &q, &p), TSF_EINVAL);
    assert_int_equal(tsf_infer_period(NULL, 3), 1);
    char buf[8];
    assert_int_equal(tsf_future_label(NULL, 3, 12, 1, buf, sizeof buf), 0);
    assert_non_null(tsf_strerror((tsf_status)999));
    tsf_model_free(NULL);
    tsf_state_free(NULL);
    tsf_forecast_free(NULL);
    tsf_frame_free(NULL);
    tsf_model_free(m);
}

/* ---- one status for one condition: regressors to a family without ---- */

static void test_no_regressors(void **state)
{
    (void)state;
    size_t n;
    double *y = read_dataset("Nile", &n);
    assert_non_null(y);
    double *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (double)i;
    tsf_xreg xr = {1, x, n, NULL};
    /* (the neural families take regressors: tests/test_neural_xreg.c) */
    const char *specs[] = {"ar", "theta"};
    for (int f = 0; f < 2; f++) {
        tsf_model *m;
        assert_int_equal(tsf_model_new(specs[f], &m), TSF_OK);
        assert_int_equal(tsf_fit(m, y, n, &xr, 1, NULL), TSF_EUNSUP);
        assert_errmsg_has("take no regressors");
        tsf_model_free(m);
    }
    tsf_model *m;
    assert_int_equal(tsf_model_new("ar", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 1, NULL), TSF_OK);
    double ll;
    assert_int_equal(tsf_loglik(m, y, n, &xr, 0, &ll), TSF_EUNSUP);
    assert_int_equal(tsf_simulate_x(m, 5, 1, 1, &xr, x), TSF_EUNSUP);
    tsf_state *st;
    assert_int_equal(tsf_state_new(m, &st), TSF_OK);
    assert_int_equal(tsf_state_update_x(st, y[0], x, 1, &ll), TSF_EUNSUP);
    assert_errmsg_has("take no regressors");
    tsf_state_free(st);
    tsf_model_free(m);
    free(x);
    free(y);
}

/* ---- the period rule: option, else spec, else data ---- */

static int fitted_period(const char *spec, const double *y, size_t n, int opt, int series)
{
    tsf_model *m;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.period = opt;
    if (tsf_fit(m, y, n, NULL, series, &o)) fail_msg("%s: %s", spec, tsf_errmsg());
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    tsf_model_free(m);
    return info.period;
}

static void test_period_rule(void **state)
{
    (void)state;
    assert_int_equal(tsf_fit_period(6, 4, 12), 6);
    assert_int_equal(tsf_fit_period(0, 4, 12), 4);
    assert_int_equal(tsf_fit_period(0, 0, 12), 12);
    assert_int_equal(tsf_fit_period(0, 0, 0), 1);
    size_t n;
    double *y = read_dataset("AirPassengers", &n);
    assert_non_null(y);
    const char *fams[] = {"arima(0,1,1)(0,1,1)%s", "auto%s"};
    for (int f = 0; f < 2; f++) {
        char with[64], without[64];
        snprintf(with, sizeof with, fams[f], "[4]");
        snprintf(without, sizeof without, fams[f], "");
        assert_int_equal(fitted_period(with, y, n, 6, 12), 6);
        assert_int_equal(fitted_period(with, y, n, 0, 12), 4);
        assert_int_equal(fitted_period(without, y, n, 0, 12), 12);
    }
    /* a refit takes the new data's period (the arima family kept the
     * first fit's as if the spec had said it) */
    tsf_model *m;
    assert_int_equal(tsf_model_new("arima(0,1,1)(0,1,1)", &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 12, NULL), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, 4, NULL), TSF_OK);
    tsf_fit_info info;
    assert_int_equal(tsf_model_info(m, &info), TSF_OK);
    assert_int_equal(info.period, 4);
    tsf_model_free(m);
    free(y);
}

/* ---- fits on a small thread stack ---- */

typedef struct {
    const char *spec;
    const double *y;
    size_t n;
    int period;
    tsf_method method;
    tsf_status st;
    double loglik;
    char err[256];
} fit_job;

static void *fit_thread(void *p)
{
    fit_job *j = p;
    tsf_model *m = NULL;
    j->loglik = NAN;
    j->st = tsf_model_new(j->spec, &m);
    tsf_fit_opts o;
    tsf_fit_opts_init(&o);
    o.method = j->method;
    if (!j->st) j->st = tsf_fit(m, j->y, j->n, NULL, j->period, &o);
    tsf_fit_info info;
    if (!j->st) j->st = tsf_model_info(m, &info);
    if (!j->st) j->loglik = info.loglik;
    snprintf(j->err, sizeof j->err, "%s", tsf_errmsg());
    tsf_model_free(m);
    return NULL;
}

/* An embedding program's worker thread: 256 KiB of stack (AddressSanitizer
 * puts redzones around every stack array and needs more). */
#if defined(__SANITIZE_ADDRESS__)
#define SMALL_STACK (1024 * 1024)
#else
#define SMALL_STACK (256 * 1024)
#endif

static void run_small(fit_job *j)
{
    pthread_attr_t attr;
    pthread_t th;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    assert_int_equal(pthread_create(&th, &attr, fit_thread, j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    if (j->st) fail_msg("%s: %s", j->spec, j->err);
}

static void test_small_stack(void **state)
{
    (void)state;
    size_t n;
    double *ap = read_dataset("AirPassengers", &n);
    assert_non_null(ap);
    assert_int_equal(n, 144);
    double lap[144];
    for (size_t i = 0; i < n; i++) lap[i] = log(ap[i]);
    /* R 4.2.2: arima(log(AirPassengers), c(0,1,1), seasonal = c(0,1,1))
     * and auto.arima(AirPassengers) (tests/reference/r_reference.json,
     * cases logairpassengers_airline and auto_AirPassengers). */
    fit_job air = {"arima(0,1,1)(0,1,1)[12]", lap, n, 12, TSF_METHOD_DEFAULT, TSF_OK, NAN, ""};
    run_small(&air);
    assert_true(air.loglik >= 244.699530596796 - 1e-3);
    assert_close(air.loglik, 244.699530596796, 1e-2);
    fit_job aut = {"auto", ap, n, 12, TSF_METHOD_DEFAULT, TSF_OK, NAN, ""};
    run_small(&aut);
    assert_close(aut.loglik, -504.923852561182, 1e-3);
    /* The largest matrices: many coefficients, ML with two starts, the
     * numerical Hessians.  The same fit on the main thread's stack gives
     * the same likelihood. */
    fit_job big = {"arima(3,1,3)(2,1,1)[12]", lap, n, 12, TSF_METHOD_ML, TSF_OK, NAN, ""};
    run_small(&big);
    fit_job ref = big;
    fit_thread(&ref);
    assert_int_equal(ref.st, TSF_OK);
    assert_close(big.loglik, ref.loglik, 1e-9);
    free(ap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opts_init),
        cmocka_unit_test(test_opts_sizes),
        cmocka_unit_test(test_opts_through_api),
        cmocka_unit_test(test_shared_formulas),
        cmocka_unit_test(test_null_arguments),
        cmocka_unit_test(test_no_regressors),
        cmocka_unit_test(test_period_rule),
        cmocka_unit_test(test_small_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
