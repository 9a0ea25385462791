/* Core: errors, spec parser, Box-Cox transforms. */
#include "testutil.h"
#include "core/internal.h"
#include "core/transform.h"

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(tsf_strerror(TSF_OK), "success");
    assert_string_equal(tsf_strerror(TSF_ENOMEM), "out of memory");
    assert_string_equal(tsf_strerror((tsf_status)999), "unknown status");
    tsf_set_error(TSF_EINVAL, "x=%d", 3);
    assert_string_equal(tsf_errmsg(), "x=3");
    tsf_clear_error();
    assert_string_equal(tsf_errmsg(), "");
}

static void test_spec_ok(void **state)
{
    (void)state;
    tsf_spec *s;
    assert_int_equal(tsf_spec_parse(" ARIMA(1, 1,1)(0,1,1)[12] ", &s), TSF_OK);
    assert_string_equal(s->name, "arima");
    assert_int_equal(s->ngroups, 2);
    assert_int_equal(s->groups[0].nargs, 3);
    assert_string_equal(s->groups[0].args[1].value, "1");
    assert_int_equal(s->period, 12);
    tsf_spec_free(s);

    assert_int_equal(tsf_spec_parse("ar(max=10, method=burg)", &s), TSF_OK);
    long k = 0;
    int ch = -1;
    static const char *const methods[] = {"yule-walker", "burg", "ols", "mle", NULL};
    assert_int_equal(tsf_spec_get_int(s, 0, "max", 0, 100, &k), TSF_OK);
    assert_int_equal(k, 10);
    assert_int_equal(tsf_spec_get_choice(s, 0, "method", methods, &ch), TSF_OK);
    assert_int_equal(ch, 1);
    assert_int_equal(tsf_spec_check_unused(s, "p, max, method"), TSF_OK);
    tsf_spec_free(s);

    assert_int_equal(tsf_spec_parse("auto", &s), TSF_OK);
    assert_int_equal(s->ngroups, 0);
    tsf_spec_free(s);
    assert_int_equal(tsf_spec_parse("gru()", &s), TSF_OK);
    assert_int_equal(s->ngroups, 1);
    assert_int_equal(s->groups[0].nargs, 0);
    tsf_spec_free(s);
}

static void expect_error(const char *text, const char *needle)
{
    tsf_spec *s = NULL;
    assert_int_equal(tsf_spec_parse(text, &s), TSF_EPARSE);
    assert_null(s);
    if (!strstr(tsf_errmsg(), needle)) fail_msg("message '%s' lacks '%s'", tsf_errmsg(), needle);
}

static void test_spec_errors(void **state)
{
    (void)state;
    expect_error("arima(1,1", "column 10: missing ')'");
    expect_error("arima(1,,1)", "column 9: expected a value, found ','");
    expect_error("(1,1)", "expected a model name");
    expect_error("arima(1)(2)(3)", "at most two argument groups");
    expect_error("arima(1,0,0)[x]", "expected the period");
    expect_error("arima(1,0,0)[0]", "period must be between");
    expect_error("ar(3) junk", "unexpected 'j' after the spec");
    expect_error("ar(max=)", "expected a value after '='");
    expect_error("ar(\x01)", "byte 0x01");
    expect_error("", "expected a model name");
    /* One line even when the spec holds a newline. */
    expect_error("ar(\nmax=1", "spec \"ar(?max=1\"");
    assert_null(strchr(tsf_errmsg(), '\n'));

    tsf_spec *s;
    assert_int_equal(tsf_spec_parse("ar(max=x, foo=1)", &s), TSF_OK);
    long k = 5;
    assert_int_equal(tsf_spec_get_int(s, 0, "max", 0, 100, &k), TSF_EPARSE);
    assert_non_null(strstr(tsf_errmsg(), "'x' is not a whole number"));
    assert_int_equal(k, 5);
    assert_int_equal(tsf_spec_check_unused(s, "p, max, method"), TSF_EPARSE);
    assert_non_null(strstr(tsf_errmsg(), "column 11: unknown key 'foo'"));
    tsf_spec_free(s);
    tsf_spec_free(NULL);
}

static void test_boxcox(void **state)
{
    (void)state;
    assert_close(tsf_boxcox(M_E, 0.0), 1.0, 1e-15);
    assert_close(tsf_boxcox(4.0, 0.5), 2.0, 1e-15);
    assert_close(tsf_boxcox_inv(tsf_boxcox(3.7, 0.3), 0.3), 3.7, 1e-12);
    /* Below g's range: sign-preserving for lambda > 0 (forecast's
     * InvBoxCox gives -(|0.5*-4+1|)^2 = -1), unbounded for lambda < 0. */
    assert_close(tsf_boxcox_inv(-4.0, 0.5), -1.0, 1e-15);
    assert_true(isinf(tsf_boxcox_inv(3.0, -0.5)) && tsf_boxcox_inv(3.0, -0.5) > 0);
    /* Jacobian against a finite difference of g. */
    double y = 2.5, lam = 0.4, hgt = 1e-6;
    double fd = (tsf_boxcox(y + hgt, lam) - tsf_boxcox(y - hgt, lam)) / (2 * hgt);
    assert_close(tsf_boxcox_logjac(y, lam), log(fd), 1e-8);
    /* Bias adjustment for the log: E exp(Z) = exp(m + v/2) ~ exp(m)(1 + v/2). */
    assert_close(tsf_boxcox_inv_biasadj(1.0, 0.01, 0.0), exp(1.0) * 1.005, 1e-12);
    double out[2];
    const double bad[2] = {1.0, -1.0};
    assert_int_equal(tsf_boxcox_apply(bad, 2, 0.0, out), TSF_EDOMAIN);
    assert_non_null(strstr(tsf_errmsg(), "observation 2"));
}

static void test_guerrero(void **state)
{
    (void)state;
    /* A series whose seasonal sd grows in proportion to its level is
     * stabilised by the log: Guerrero's lambda must be near 0. */
    double y[120];
    for (int i = 0; i < 120; i++) {
        double level = 100.0 * exp(0.02 * i);
        y[i] = level * (1.0 + 0.2 * sin(2 * M_PI * i / 12.0));
    }
    double lam = 9;
    assert_int_equal(tsf_boxcox_guerrero(y, 120, 12, &lam), TSF_OK);
    assert_true(fabs(lam) < 0.05);
    /* Additive seasonality of constant size: lambda near 1. */
    for (int i = 0; i < 120; i++) y[i] = 100.0 + 2.0 * i + 20.0 * sin(2 * M_PI * i / 12.0);
    assert_int_equal(tsf_boxcox_guerrero(y, 120, 12, &lam), TSF_OK);
    assert_true(fabs(lam - 1.0) < 0.1);
    assert_int_equal(tsf_boxcox_guerrero(y, 20, 12, &lam), TSF_EDOMAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_spec_ok),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_boxcox),
        cmocka_unit_test(test_guerrero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
