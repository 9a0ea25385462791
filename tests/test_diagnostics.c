/* Ljung-Box test against R 4.2's Box.test(type = "Ljung-Box"). */
#include "testutil.h"
#include "tsf/tsf.h"

static const double lh[48] = {2.4, 2.4, 2.4, 2.2, 2.1, 1.5, 2.3, 2.3, 2.5, 2, 1.9, 1.7,
                              2.2, 1.8, 3.2, 3.2, 2.7, 2.2, 2.2, 1.9, 1.9, 1.8, 2.7, 3,
                              2.3, 2, 2, 2.9, 2.9, 2.7, 2.7, 2.3, 2.6, 2.4, 1.8, 1.7,
                              1.5, 1.4, 2.1, 3.3, 3.5, 3.5, 3.1, 2.6, 2.1, 3.4, 3, 2.9};

static void test_ljung_box_r(void **state)
{
    (void)state;
    double q, p;
    /* Box.test(lh, lag = 10, type = "Ljung-Box", fitdf = 2) */
    assert_int_equal(tsf_ljung_box(lh, 48, 10, 2, &q, &p), TSF_OK);
    assert_rel(q, 25.3509303605002, 1e-10, 0);
    assert_rel(p, 0.00135530155824237, 1e-8, 0);
    /* with y[c(5,17,30)] <- NA, lag 6 */
    double y[48];
    memcpy(y, lh, sizeof y);
    y[4] = y[16] = y[29] = NAN;
    assert_int_equal(tsf_ljung_box(y, 48, 6, 0, &q, &p), TSF_OK);
    assert_rel(q, 20.2181418254129, 1e-10, 0);
    assert_rel(p, 0.00253230880103972, 1e-8, 0);
}

static void test_ljung_box_errors(void **state)
{
    (void)state;
    double q, p, c[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(tsf_ljung_box(lh, 48, 2, 2, &q, &p), TSF_EINVAL);
    assert_errmsg_has("must exceed");
    assert_int_equal(tsf_ljung_box(lh, 5, 5, 0, &q, &p), TSF_EINVAL);
    assert_int_equal(tsf_ljung_box(c, 10, 3, 0, &q, &p), TSF_EDEGENERATE);
    assert_errmsg_has("constant");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ljung_box_r),
        cmocka_unit_test(test_ljung_box_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
