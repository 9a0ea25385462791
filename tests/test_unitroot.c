/* KPSS, ndiffs, STL, seasonal strength and nsdiffs against R 4.2.2
 * (urca 1.3 ur.kpss, forecast 8.20 ndiffs/nsdiffs/seas.heuristic, stats::stl).
 * Every expected number below was computed in R on datasets/<name>.csv. */
#include "testutil.h"
#include "series_reader.h"
#include "core/internal.h"
#include "stats/stl.h"
#include "stats/unitroot.h"

typedef struct {
    const char *name;
    size_t lag;       /* trunc(3 sqrt(n) / 13) */
    double stat;      /* urca::ur.kpss(x, type = "mu", use.lag = lag)@teststat */
    double stat_d1;   /* the same on diff(x) */
    int ndiffs;       /* forecast::ndiffs(x) */
} kpss_case;

static const kpss_case kpss_cases[] = {
    {"AirPassengers", 2, 4.342286797, 0.01148472834, 1},
    {"WWWusage", 2, 0.7219743181, 0.2635193988, 1},
    {"lynx", 2, 0.06946508209, 0.0145059419, 0},
    {"Nile", 2, 1.315226463, 0.01962213155, 1},
    {"USAccDeaths", 1, 0.2912338042, 0.02736230456, 0},
    {"austres", 2, 3.044599963, 0.6728935615, 2},
    {"JohnsonJohnson", 2, 2.587885436, 0.07516551512, 1},
    {"wineind", 3, 0.8345313711, 0.03598948478, 1},
    {"co2", 4, 9.3401614, 0.01080305033, 1},
    {"LakeHuron", 2, 1.221218569, 0.05222586403, 1},
    {"gold", 7, 10.03255321, 0.2319859, 1},
    {"BJsales", 2, 4.313622008, 0.1774564726, 1},
};

static double *load(const char *name, size_t *n)
{
    double *y = read_dataset(name, n);
    if (!y) fail_msg("cannot read datasets/%s.csv (run from the project root)", name);
    return y;
}

static void test_kpss_stat_and_ndiffs(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof kpss_cases / sizeof kpss_cases[0]; c++) {
        const kpss_case *k = &kpss_cases[c];
        size_t n = 0;
        double *y = load(k->name, &n), st;
        /* gold has missing values: ndiffs drops them (na.omit). */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(y[i])) y[m++] = y[i];
        assert_int_equal(tsf_kpss_lag(m), k->lag);
        assert_int_equal(tsf_kpss_stat(y, m, k->lag, &st), TSF_OK);
        assert_rel(st, k->stat, 1e-8, 0);
        for (size_t i = 0; i + 1 < m; i++) y[i] = y[i + 1] - y[i];
        assert_int_equal(tsf_kpss_stat(y, m - 1, tsf_kpss_lag(m - 1), &st), TSF_OK);
        assert_rel(st, k->stat_d1, 1e-7, 0);
        free(y);
        y = load(k->name, &n);
        int d = -1;
        assert_int_equal(tsf_ndiffs(y, n, 0.05, 2, &d), TSF_OK);
        if (d != k->ndiffs) fail_msg("%s: ndiffs %d, R says %d", k->name, d, k->ndiffs);
        free(y);
    }
}

static void test_kpss_pvalue(void **state)
{
    (void)state;
    /* approx(c(.347,.463,.574,.739), c(.1,.05,.025,.01), xout = s, rule = 2) */
    assert_close(tsf_kpss_pvalue(0.2), 0.1, 1e-15);
    assert_close(tsf_kpss_pvalue(0.4), 0.0771551724138, 1e-12);
    assert_close(tsf_kpss_pvalue(0.5), 0.0416666666667, 1e-12);
    assert_close(tsf_kpss_pvalue(0.6), 0.0226363636364, 1e-12);
    assert_close(tsf_kpss_pvalue(0.8), 0.01, 1e-15);
    /* at the 5% critical value the p-value is exactly 0.05: no rejection */
    assert_close(tsf_kpss_pvalue(0.463), 0.05, 1e-15);
}

static void test_ndiffs_edge(void **state)
{
    (void)state;
    double c[5] = {2, 2, 2, 2, 2}, x[6] = {1, 2, 3, 4, 5, 6};
    int d = -1;
    assert_int_equal(tsf_ndiffs(c, 5, 0.05, 2, &d), TSF_OK);
    assert_int_equal(d, 0);  /* constant: nothing to difference */
    /* a straight line becomes constant after one difference */
    double line[40];
    for (int i = 0; i < 40; i++) line[i] = 3.0 * i;
    assert_int_equal(tsf_ndiffs(line, 40, 0.05, 2, &d), TSF_OK);
    assert_int_equal(d, 1);
    assert_int_equal(tsf_ndiffs(x, 6, 0.5, 2, &d), TSF_EINVAL);
    assert_errmsg_has("alpha");
    assert_int_equal(tsf_ndiffs(line, 40, 0.05, 0, &d), TSF_OK);
    assert_int_equal(d, 0);  /* max_d caps */
}

typedef struct {
    const char *name;
    int period;
    double seas[5], trend[5];  /* stl(x, s.window = 11) at t = 1, 2, 37, n-1, n */
} stl_case;

static void test_stl(void **state)
{
    (void)state;
    static const stl_case cases[] = {
        {"AirPassengers", 12,
         {-16.9770740864, -17.1776333372, -18.4197968092, -75.5946342551, -44.196324979},
         {123.145056928, 123.72506924, 183.467369463, 493.138373703, 496.683254025}},
        /* 6 years: window 11 exceeds the subseries length (q > n rule) */
        {"USAccDeaths", 12,
         {-860.44950334, -1572.22365993, -808.464914432, -325.783421614, 39.4906336056},
         {9988.94900713, 9920.48169995, 8434.13180874, 9025.96316872, 9071.57629881}},
        {"JohnsonJohnson", 4,
         {-0.0376608876218, -0.0144544492416, -0.134651568129, 0.74403417814, -2.18851398736},
         {0.71217361921, 0.681584041899, 2.32958093694, 14.4423909224, 14.5238747561}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = 0;
        double *y = load(cases[c].name, &n);
        double *s = malloc(n * sizeof *s), *t = malloc(n * sizeof *t);
        assert_non_null(s);
        assert_non_null(t);
        tsf_stl_opts o;
        tsf_stl_opts_default(&o, cases[c].period, 11);
        assert_int_equal(tsf_stl(y, n, &o, s, t), TSF_OK);
        size_t idx[5] = {0, 1, 36, n - 2, n - 1};
        for (int i = 0; i < 5; i++) {
            double tol = 1e-8 * (fabs(cases[c].trend[i]) + 1.0);
            assert_close(s[idx[i]], cases[c].seas[i], tol);
            assert_close(t[idx[i]], cases[c].trend[i], tol);
        }
        free(s);
        free(t);
        free(y);
    }
}

static void test_stl_errors(void **state)
{
    (void)state;
    double y[24] = {0}, s[24], t[24];
    tsf_stl_opts o;
    tsf_stl_opts_default(&o, 12, 11);
    assert_int_equal(tsf_stl(y, 24, &o, s, t), TSF_EINVAL);  /* two periods only */
    assert_errmsg_has("two full periods");
    y[3] = NAN;
    assert_int_equal(tsf_stl(y, 24, &o, s, t), TSF_EINVAL);
}

typedef struct {
    const char *name;
    int period;
    double strength;  /* forecast:::seas.heuristic(x) */
    int nsdiffs;      /* forecast::nsdiffs(x) */
} seas_case;

static void test_seasonal_strength_and_nsdiffs(void **state)
{
    (void)state;
    static const seas_case cases[] = {
        {"AirPassengers", 12, 0.94067249031, 1},
        {"USAccDeaths", 12, 0.944794464889, 1},
        {"wineind", 12, 0.889262757679, 1},
        {"JohnsonJohnson", 4, 0.820906045221, 1},
        {"co2", 12, 0.989771591222, 1},
        {"austres", 4, 0.324800287903, 0},
        {"UKgas", 4, 0.983094782557, 1},
        {"nottem", 12, 0.953424493243, 1},
        {"ldeaths", 12, 0.888293322752, 1},
        {"woolyrnq", 4, 0.822819419146, 1},
        {"gas", 12, 0.941231127181, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = 0;
        double *y = load(cases[c].name, &n), f;
        int D = -1;
        assert_int_equal(tsf_seasonal_strength(y, n, cases[c].period, &f), TSF_OK);
        assert_close(f, cases[c].strength, 1e-9);
        assert_int_equal(tsf_nsdiffs(y, n, cases[c].period, 1, &D), TSF_OK);
        if (D != cases[c].nsdiffs)
            fail_msg("%s: nsdiffs %d, R says %d", cases[c].name, D, cases[c].nsdiffs);
        free(y);
    }
}

static void test_nsdiffs_short(void **state)
{
    (void)state;
    size_t n = 0;
    double *y = load("AirPassengers", &n);
    int D = -1;
    /* R: nsdiffs(ts(x[1:24], frequency = 12)) = 0 (STL impossible), x[1:25] -> 1 */
    assert_int_equal(tsf_nsdiffs(y, 24, 12, 1, &D), TSF_OK);
    assert_int_equal(D, 0);
    assert_int_equal(tsf_nsdiffs(y, 25, 12, 1, &D), TSF_OK);
    assert_int_equal(D, 1);
    double f;
    assert_int_equal(tsf_seasonal_strength(y, 25, 12, &f), TSF_OK);
    assert_close(f, 0.9654333, 5e-7);  /* seas.heuristic(ts(x[1:25], frequency = 12)) */
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kpss_stat_and_ndiffs),
        cmocka_unit_test(test_kpss_pvalue),
        cmocka_unit_test(test_ndiffs_edge),
        cmocka_unit_test(test_stl),
        cmocka_unit_test(test_stl_errors),
        cmocka_unit_test(test_seasonal_strength_and_nsdiffs),
        cmocka_unit_test(test_nsdiffs_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
