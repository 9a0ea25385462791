/* Save-and-resume check of streaming states, shared by test_state.c and
 * test_neural_model.c.  Tests only. */
#ifndef TSF_TESTS_STATE_RESUME_H
#define TSF_TESTS_STATE_RESUME_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "tsf/tsf.h"

/* One state runs over y[0..n) without a break; another runs over y[0..cut),
 * is saved, loaded back under m2 (m itself, or its copy from tsf_load) and
 * runs on.  The densities after the cut and the final forecasts must be
 * the same bits: the resumed state is the same filter or network state. */
static inline void check_resume(const tsf_model *m, const tsf_model *m2, const double *y,
                                size_t n, size_t cut)
{
    char path[] = "/tmp/tsf_state_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tsf_state *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(tsf_state_new(m, &a), TSF_OK);
    assert_int_equal(tsf_state_new(m, &b), TSF_OK);
    double la, lb;
    for (size_t i = 0; i < cut; i++) {
        assert_int_equal(tsf_state_update(a, y[i], &la), TSF_OK);
        assert_int_equal(tsf_state_update(b, y[i], &lb), TSF_OK);
    }
    if (tsf_state_save(b, path) != TSF_OK) fail_msg("save: %s", tsf_errmsg());
    tsf_state_free(b);
    if (tsf_state_load(m2, path, &c) != TSF_OK) fail_msg("load: %s", tsf_errmsg());
    for (size_t i = cut; i < n; i++) {
        assert_int_equal(tsf_state_update(a, y[i], &la), TSF_OK);
        assert_int_equal(tsf_state_update(c, y[i], &lb), TSF_OK);
        if (la != lb) fail_msg("log density %zu: %.17g uninterrupted, %.17g resumed", i, la, lb);
    }
    const double lv[1] = {90};
    tsf_forecast_result *fa = NULL, *fc = NULL;
    assert_int_equal(tsf_state_forecast(a, 4, lv, 1, NULL, &fa), TSF_OK);
    assert_int_equal(tsf_state_forecast(c, 4, lv, 1, NULL, &fc), TSF_OK);
    for (size_t i = 0; i < 4; i++) {
        assert_true(fa->mean[i] == fc->mean[i]);
        assert_true(fa->lower[i] == fc->lower[i]);
    }
    tsf_forecast_free(fa);
    tsf_forecast_free(fc);
    tsf_state_free(a);
    tsf_state_free(c);
    remove(path);
}

#endif
