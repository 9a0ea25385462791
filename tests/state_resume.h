/* Save-and-resume check of streaming states, shared by test_state.c and
 * test_neural_model.c.  Tests only. */
#ifndef TSF_TESTS_STATE_RESUME_H
#define TSF_TESTS_STATE_RESUME_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "tsf/tsf.h"

/* m saved to a temporary file and loaded back (the caller frees it). */
static inline tsf_model *saved_and_loaded(const tsf_model *m)
{
    char path[] = "/tmp/tsf_model_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    if (tsf_save(m, path) != TSF_OK) fail_msg("save: %s", tsf_errmsg());
    tsf_model *m2 = NULL;
    if (tsf_load(path, &m2) != TSF_OK) fail_msg("load: %s", tsf_errmsg());
    unlink(path);
    return m2;
}

/* One observation, with row i of the regressors x when there are some. */
static inline tsf_status resume_update(tsf_state *s, double y, const tsf_xreg *x, size_t i, double *lp)
{
    if (!x) return tsf_state_update(s, y, lp);
    double row[16];
    for (size_t j = 0; j < x->k && j < 16; j++) row[j] = x->x[j * x->ld + i];
    return tsf_state_update_x(s, y, row, x->k, lp);
}

/* One state runs over y[0..n) without a break; another runs over y[0..cut),
 * is saved, loaded back under m2 (m itself, or its copy from tsf_load) and
 * runs on.  The densities after the cut and the final forecasts must be
 * the same bits: the resumed state is the same filter or network state.
 * With regressors x (n rows, NULL: none) each observation takes its row;
 * the forecasts take 4 rows of xf. */
static inline void check_resume_x(const tsf_model *m, const tsf_model *m2, const double *y,
                                  size_t n, const tsf_xreg *x, const tsf_xreg *xf, size_t cut)
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
        assert_int_equal(resume_update(a, y[i], x, i, &la), TSF_OK);
        assert_int_equal(resume_update(b, y[i], x, i, &lb), TSF_OK);
    }
    if (tsf_state_save(b, path) != TSF_OK) fail_msg("save: %s", tsf_errmsg());
    tsf_state_free(b);
    if (tsf_state_load(m2, path, &c) != TSF_OK) fail_msg("load: %s", tsf_errmsg());
    for (size_t i = cut; i < n; i++) {
        assert_int_equal(resume_update(a, y[i], x, i, &la), TSF_OK);
        assert_int_equal(resume_update(c, y[i], x, i, &lb), TSF_OK);
        if (la != lb) fail_msg("log density %zu: %.17g uninterrupted, %.17g resumed", i, la, lb);
    }
    const double lv[1] = {90};
    tsf_forecast_result *fa = NULL, *fc = NULL;
    tsf_forecast_opts o = {0};
    o.xreg_future = xf;
    assert_int_equal(tsf_state_forecast(a, 4, lv, 1, &o, &fa), TSF_OK);
    assert_int_equal(tsf_state_forecast(c, 4, lv, 1, &o, &fc), TSF_OK);
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

static inline void check_resume(const tsf_model *m, const tsf_model *m2, const double *y,
                                size_t n, size_t cut)
{
    check_resume_x(m, m2, y, n, NULL, NULL, cut);
}

#endif
