/* arima model files: save, load, and the loaded model answers exactly as
 * the fitted one (built once the safetensors module is in the tree). */
#include "testutil.h"
#include "series_reader.h"
#include <unistd.h>
#include "core/internal.h"
#include "tsf/state.h"

static size_t read_col(const char *file, double *y, size_t cap)
{
    size_t n = read_dataset_into(file, y, cap);
    assert_true(n > 0); /* datasets/<file>.csv is shipped with the project */
    return n;
}

static void roundtrip(const char *spec, const char *data, int period, const tsf_fit_opts *o)
{
    double y[600];
    size_t n = read_col(data, y, 600);
    tsf_model *m, *l;
    assert_int_equal(tsf_model_new(spec, &m), TSF_OK);
    assert_int_equal(tsf_fit(m, y, n, NULL, period, o), TSF_OK);
    char path[] = "/tmp/tsf_arima_io_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(tsf_save(m, path), TSF_OK);
    assert_int_equal(tsf_load(path, &l), TSF_OK);
    unlink(path);
    tsf_fit_info a, b;
    assert_int_equal(tsf_model_info(m, &a), TSF_OK);
    assert_int_equal(tsf_model_info(l, &b), TSF_OK);
    assert_int_equal(a.ncoef, b.ncoef);
    assert_int_equal(a.period, b.period);
    assert_string_equal(a.model, b.model);
    for (size_t i = 0; i < a.ncoef; i++) {
        assert_string_equal(a.coef_names[i], b.coef_names[i]);
        assert_close(a.coef[i], b.coef[i], 0);
    }
    assert_close(a.loglik, b.loglik, 0);
    double la, lb;
    assert_int_equal(tsf_loglik(m, y, n, NULL, 0, &la), TSF_OK);
    assert_int_equal(tsf_loglik(l, y, n, NULL, 0, &lb), TSF_OK);
    assert_close(la, lb, 0);
    tsf_forecast_result *fa, *fb;
    assert_int_equal(tsf_forecast(m, y, n, NULL, 6, NULL, 0, NULL, &fa), TSF_OK);
    assert_int_equal(tsf_forecast(l, y, n, NULL, 6, NULL, 0, NULL, &fb), TSF_OK);
    for (int i = 0; i < 6; i++) {
        assert_close(fa->mean[i], fb->mean[i], 0);
        assert_close(fa->se[i], fb->se[i], 0);
    }
    tsf_forecast_free(fa);
    tsf_forecast_free(fb);
    /* streaming through the core: the one-step densities sum to the loglik */
    tsf_state *st;
    assert_int_equal(tsf_state_new(l, &st), TSF_OK);
    double sum = 0, lp;
    for (size_t t = 0; t < n; t++) {
        assert_int_equal(tsf_state_update(st, y[t], &lp), TSF_OK);
        sum += lp;
    }
    assert_close(sum, la, 1e-6 * fabs(la));
    tsf_state_free(st);
    tsf_model_free(m);
    tsf_model_free(l);
}

static void test_roundtrips(void **state)
{
    (void)state;
    roundtrip("arima(0,1,1)(0,1,1)[12]", "USAccDeaths", 12, NULL);
    tsf_fit_opts o = {0};
    o.trend = 1;
    roundtrip("arima(2,0,0)", "LakeHuron", 1, &o);
    roundtrip("arima(3,0,0)", "presidents", 4, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
