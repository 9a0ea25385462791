/* Fourier and calendar regressors (src/core/terms.c): tsf_fourier against
 * R's forecast::fourier values (tests/data/xreg/fourier_ref.json, made by
 * tests/r/xreg_reference.R), tsf_calendar against dates whose weekday and
 * month are known (1970-01-01 a Thursday, 2024-01-01 a Monday). */
#include "testutil.h"
#include <jansson.h>
#include "tsf/model.h"

static json_t *ref;

static int setup(void **state)
{
    (void)state;
    json_error_t e;
    char buf[512];
    ref = json_load_file(test_path("data/xreg/fourier_ref.json", buf, sizeof buf), 0, &e);
    return ref ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(ref);
    return 0;
}

/* values[i][j] of R (rows of the matrix) against columns of x */
static void same_matrix(json_t *names, json_t *vals, double P, int K, size_t t0)
{
    size_t n = json_array_size(vals), k = json_array_size(names), nc;
    double *x = malloc(n * k * sizeof *x);
    char(*nm)[24] = malloc(k * sizeof *nm);
    assert_int_equal(tsf_fourier(P, K, t0, n, x, n, nm, &nc), TSF_OK);
    assert_int_equal(nc, k);
    for (size_t j = 0; j < k; j++) {
        assert_string_equal(nm[j], json_string_value(json_array_get(names, j)));
        for (size_t i = 0; i < n; i++) {
            double r = json_real_value(json_array_get(json_array_get(vals, i), j));
            if (json_is_integer(json_array_get(json_array_get(vals, i), j)))
                r = (double)json_integer_value(json_array_get(json_array_get(vals, i), j));
            assert_true(fabs(x[j * n + i] - r) < 1e-12);
        }
    }
    free(x);
    free(nm);
}

static void test_fourier_r(void **state)
{
    (void)state;
    json_t *f2 = json_object_get(ref, "f2"), *fu = json_object_get(ref, "future");
    same_matrix(json_object_get(f2, "names"), json_object_get(f2, "values"), 12, 2, 0);
    /* K = P/2: R leaves out S6-12 */
    same_matrix(json_object_get(ref, "f6_names"), json_object_get(ref, "f6"), 12, 6, 0);
    /* the future rows continue the time index after the 72 of the series */
    same_matrix(json_object_get(fu, "names"), json_object_get(fu, "values"), 12, 2, 72);
}

static void test_fourier_errors(void **state)
{
    (void)state;
    size_t nc;
    assert_int_equal(tsf_fourier(12, 7, 0, 5, NULL, 0, NULL, &nc), TSF_EINVAL);
    assert_non_null(strstr(tsf_errmsg(), "period/2"));
    assert_int_equal(tsf_fourier(1, 1, 0, 5, NULL, 0, NULL, &nc), TSF_EINVAL);
    assert_int_equal(tsf_fourier(NAN, 1, 0, 5, NULL, 0, NULL, &nc), TSF_EINVAL);
    assert_int_equal(tsf_fourier(12, 0, 0, 5, NULL, 0, NULL, &nc), TSF_EINVAL);
    double x[10];
    assert_int_equal(tsf_fourier(12, 1, 0, 5, x, 4, NULL, &nc), TSF_EINVAL);
    /* a period that is not whole (weeks of a year): 2K columns, and the
     * closed form at a large t */
    assert_int_equal(tsf_fourier(52.18, 3, 100000, 5, NULL, 0, NULL, &nc), TSF_OK);
    assert_int_equal(nc, 6);
    double y[2];
    assert_int_equal(tsf_fourier(52.18, 1, 99999, 1, y, 1, NULL, &nc), TSF_OK);
    assert_true(fabs(y[0] - sin(2 * M_PI * 100000.0 / 52.18)) < 1e-9);
}

/* The axis of labels (time_grid), the calendar columns of its steps. */
static void calendar_of(const char *const *lab, size_t n, int64_t k0, size_t rows, double *x,
                        char (*nm)[24], size_t *nc)
{
    tsf_time_axis ax;
    size_t pos[16];
    assert_int_equal(tsf_time_grid((char *const *)lab, n, NULL, NULL, &ax, pos), TSF_OK);
    assert_int_equal(tsf_calendar(&ax, k0, rows, x, rows, nm, nc), TSF_OK);
}

static double col(const double *x, char (*nm)[24], size_t nc, size_t rows, const char *name,
                  size_t i)
{
    for (size_t j = 0; j < nc; j++)
        if (!strcmp(nm[j], name)) return x[j * rows + i];
    fail_msg("no calendar column %s", name);
    return NAN;
}

static void test_calendar(void **state)
{
    (void)state;
    double x[TSF_CALENDAR_MAX * 10];
    char nm[TSF_CALENDAR_MAX][24];
    size_t nc;
    /* daily from Monday 2024-01-01: day of week only, Mon the baseline */
    const char *d[] = {"2024-01-01", "2024-01-02", "2024-01-03"};
    calendar_of(d, 3, 0, 10, x, nm, &nc);
    assert_int_equal(nc, 6);
    assert_string_equal(nm[0], "Tue");
    for (size_t j = 0; j < nc; j++) assert_true(x[j * 10] == 0.0); /* Monday */
    assert_true(col(x, nm, nc, 10, "Tue", 1) == 1.0);
    assert_true(col(x, nm, nc, 10, "Sun", 6) == 1.0);
    assert_true(col(x, nm, nc, 10, "Tue", 8) == 1.0); /* future steps: 2024-01-09 */
    /* 1970-01-01 was a Thursday */
    const char *e[] = {"1970-01-01", "1970-01-02"};
    calendar_of(e, 2, 0, 1, x, nm, &nc);
    assert_true(col(x, nm, nc, 1, "Thu", 0) == 1.0);
    /* hourly: hour of day and day of week; 23:00 then midnight of Tuesday */
    const char *h[] = {"2024-01-01 22:00", "2024-01-01 23:00"};
    calendar_of(h, 2, 1, 2, x, nm, &nc);
    assert_int_equal(nc, 23 + 6);
    assert_true(col(x, nm, nc, 2, "h23", 0) == 1.0);
    assert_true(col(x, nm, nc, 2, "Tue", 1) == 1.0);
    assert_true(col(x, nm, nc, 2, "h23", 1) == 0.0);
    /* an offset: local time */
    const char *z[] = {"2024-01-01T22:00+02:00", "2024-01-01T23:00+02:00"};
    calendar_of(z, 2, 0, 1, x, nm, &nc);
    assert_true(col(x, nm, nc, 1, "h22", 0) == 1.0);
    /* monthly: month of year, a future December and the January after */
    const char *m[] = {"1999-11", "1999-12"};
    calendar_of(m, 2, 1, 2, x, nm, &nc);
    assert_int_equal(nc, 11);
    assert_true(col(x, nm, nc, 2, "Dec", 0) == 1.0);
    for (size_t j = 0; j < nc; j++) assert_true(x[j * 2 + 1] == 0.0);
    /* quarterly; dates a month apart: months (2024-03-31 month ends) */
    const char *q[] = {"2000-Q1", "2000-Q2"};
    calendar_of(q, 2, 0, 2, x, nm, &nc);
    assert_int_equal(nc, 3);
    assert_true(col(x, nm, nc, 2, "Q2", 1) == 1.0);
    const char *me[] = {"2024-01-31", "2024-02-29", "2024-03-31"};
    calendar_of(me, 3, 0, 3, x, nm, &nc);
    assert_true(col(x, nm, nc, 3, "Feb", 1) == 1.0 && col(x, nm, nc, 3, "Mar", 2) == 1.0);
    /* weekly: month of the week's Monday (2024-W05 starts 2024-01-29) */
    const char *w[] = {"2024-W05", "2024-W06"};
    calendar_of(w, 2, 0, 2, x, nm, &nc);
    assert_true(col(x, nm, nc, 2, "Feb", 0) == 0.0 && col(x, nm, nc, 2, "Feb", 1) == 1.0);
    /* years and indices: an error */
    tsf_time_axis ax;
    size_t pos[4];
    const char *y[] = {"1990", "1991"};
    assert_int_equal(tsf_time_grid((char *const *)y, 2, NULL, NULL, &ax, pos), TSF_OK);
    assert_int_equal(tsf_calendar(&ax, 0, 2, x, 2, NULL, &nc), TSF_EINVAL);
    assert_non_null(strstr(tsf_errmsg(), "dates"));
    assert_int_equal(tsf_calendar(NULL, 0, 2, x, 2, NULL, &nc), TSF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fourier_r),
        cmocka_unit_test(test_fourier_errors),
        cmocka_unit_test(test_calendar),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
