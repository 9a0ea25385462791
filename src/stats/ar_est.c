/* Bookkeeping shared by the AR estimators: allocation, R's default maximum
 * order, AIC selection, and the asymptotic standard errors of
 * Brockwell & Davis (1991, Thm. 8.1.1): sqrt(n)(phi_hat - phi) -> N(0,
 * sigma^2 Gamma_p^{-1}). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "ar_est.h"
#include "core/internal.h"

void tsf_ar_est_clear(tsf_ar_est *e)
{
    if (!e) return;
    free(e->ar);
    free(e->se);
    free(e->aic);
    memset(e, 0, sizeof *e);
}

const char *tsf_ar_method_name(tsf_ar_method method)
{
    static const char *const names[] = {"yule-walker", "burg", "ols", "mle"};
    return (unsigned)method < 4 ? names[method] : "?";
}

size_t tsf_ar_default_max(tsf_ar_method method, size_t n)
{
    if (n < 2) return 0;
    size_t k = (size_t)floor(10.0 * log10((double)n));
    if (k > n - 1) k = n - 1;
    if (method == TSF_AR_MLE && k > 12) k = 12;
    return k;
}

size_t tsf_ar_min_obs(tsf_ar_method method, size_t p)
{
    /* var.pred divides by n - (p + 1) (yw, burg); ols regresses n - p rows on
     * p + 1 columns and needs residual degrees of freedom; mle estimates
     * p + 2 parameters. */
    switch (method) {
    case TSF_AR_OLS: return 2 * p + 2;
    case TSF_AR_MLE: return p + 3;
    default: return p + 2;
    }
}

tsf_status tsf_ar_too_short(tsf_ar_method method, size_t p, size_t nobs)
{
    return tsf_set_error(TSF_EDOMAIN, "ar(method=%s) of order %zu needs at least %zu "
                         "observations, got %zu: use a lower order or max",
                         tsf_ar_method_name(method), p, tsf_ar_min_obs(method, p), nobs);
}

tsf_status tsf_ar_check_complete(tsf_ar_method method, const double *y, size_t n)
{
    for (size_t t = 0; t < n; t++)
        if (isnan(y[t]))
            return tsf_set_error(TSF_EDOMAIN, "observation %zu is missing: ar(method=%s) needs "
                                 "a complete series (as R); use method=yule-walker, which "
                                 "accepts missing values", t + 1, tsf_ar_method_name(method));
    return TSF_OK;
}

tsf_status tsf_ar_est_alloc_aic(tsf_ar_est *e, size_t lo, size_t hi)
{
    e->order_min = lo;
    e->order_max = hi;
    e->aic = calloc(hi - lo + 1, sizeof *e->aic);
    if (!e->aic) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu AIC values", hi - lo + 1);
    return TSF_OK;
}

tsf_status tsf_ar_est_alloc_coef(tsf_ar_est *e, size_t p)
{
    e->order = p;
    e->ar = calloc(p ? p : 1, sizeof *e->ar);
    e->se = calloc(p ? p : 1, sizeof *e->se);
    if (!e->ar || !e->se) return tsf_set_error(TSF_ENOMEM, "out of memory for %zu coefficients", p);
    return TSF_OK;
}

size_t tsf_ar_est_select(tsf_ar_est *e)
{
    size_t k = e->order_max - e->order_min + 1, best = 0;
    for (size_t i = 1; i < k; i++)
        if (e->aic[i] < e->aic[best]) best = i;
    double m = e->aic[best];
    for (size_t i = 0; i < k; i++) e->aic[i] -= m;
    return e->order_min + best;
}

tsf_status tsf_ar_toeplitz_se(const double *gamma, size_t p, double var_pred, size_t n,
                              double *se)
{
    if (p == 0) return TSF_OK;
    double *g = malloc(p * p * sizeof *g);
    if (!g) return tsf_set_error(TSF_ENOMEM, "out of memory for a %zu x %zu matrix", p, p);
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) g[i * p + j] = gamma[i > j ? i - j : j - i];
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)p, g, (lapack_int)p);
    if (info == 0) info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)p, g, (lapack_int)p);
    for (size_t j = 0; j < p; j++)
        se[j] = info == 0 ? sqrt(g[j * p + j] * var_pred / (double)n) : NAN;
    free(g);
    return TSF_OK;
}

tsf_status tsf_ar_estimate(tsf_ar_method method, const double *y, size_t n, size_t order_max,
                           int aic, tsf_ar_est *e)
{
    memset(e, 0, sizeof *e);
    e->method = method;
    tsf_status st;
    switch (method) {
    case TSF_AR_YW: st = tsf_ar_yw(y, n, order_max, aic, e); break;
    case TSF_AR_BURG: st = tsf_ar_burg(y, n, order_max, aic, e); break;
    case TSF_AR_OLS: st = tsf_ar_ols(y, n, order_max, aic, e); break;
    case TSF_AR_MLE: st = tsf_ar_mle(y, n, order_max, aic, e); break;
    default: return tsf_set_error(TSF_EINVAL, "unknown ar method %d", (int)method);
    }
    e->method = method;
    if (st) tsf_ar_est_clear(e);
    return st;
}
