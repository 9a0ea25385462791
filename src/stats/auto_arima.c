/* Automatic ARIMA order selection (see auto_arima.h).
 *
 * Choices follow Hyndman & Khandakar (2008) and the documented defaults of
 * forecast 8.20's auto.arima():
 * - D = nsdiffs(x) (seasonal strength > 0.64), d = ndiffs of the
 *   seasonally differenced series (KPSS, alpha 0.05), max d 2, max D 1;
 * - a constant is drift when d + D = 1, a mean when d + D = 0, none else;
 * - bounds: p, q <= n/3, P, Q <= n/(3m); with seasonal terms p, q < m;
 * - criterion AICc = AIC + 2k(k+1)/(n* - k - 1), k = coefficients + 1
 *   (sigma2), n* = n - d - D m;
 * - approximation when n > 150 or m > 12: candidates fitted by CSS with
 *   AIC ~ offset + n* log(sigma2_css) + 2k, where offset = -2 loglik -
 *   n log(sigma2) of an exact ARIMA(0,d,0)(0,D,0) fit puts CSS and exact
 *   criteria on one scale; the models are then refitted exactly in order
 *   of their approximate criterion until one is acceptable;
 * - a model is rejected (criterion infinite) when an AR or MA root lies
 *   within 1.01 of the unit circle: such fits are near non-stationary or
 *   non-invertible and forecast badly (Hyndman & Khandakar 2008, sec. 3.2),
 *   or when a coefficient has no finite variance (forecast's checkarima). */
#include <math.h>
#include <lapacke.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "auto_arima.h"
#include "roots.h"
#include "unitroot.h"

#define MIN_ROOT 1.01

void tsf_auto_opts_default(tsf_auto_opts *o)
{
    o->max_p = 5;
    o->max_q = 5;
    o->max_P = 2;
    o->max_Q = 2;
    o->max_d = 2;
    o->max_D = 1;
    o->d = -1;
    o->D = -1;
    o->ic = TSF_IC_AICC;
    o->approximation = -1;
    o->allow_drift = 1;
    o->allow_mean = 1;
    o->stepwise = 1;
    o->max_order = 5;
}

void tsf_auto_result_free(tsf_auto_result *r)
{
    if (!r) return;
    tsf_arima_free(r->model);
    tsf_auto_trace_free(&r->trace);
    memset(r, 0, sizeof *r);
}

typedef struct {
    const double *y;
    size_t n, nobs;      /* length, non-missing between first and last observed */
    int period;
    tsf_ic ic;
    int css;             /* search by CSS fits */
    double offset;       /* CSS criterion offset */
    const tsf_xreg *xreg; /* user's regressors or NULL */
    tsf_fit_opts base;   /* user's options (method of exact fits, threads...) */
    tsf_arima *best;     /* best exactly fitted model of the search so far */
    double best_ic;
    int nfit;
} fit_ctx;

/* forecast's check: smallest root modulus of the full AR and MA
 * polynomials of a fitted model (its coefficients start with ar, ma, sar,
 * sma in that order). */
static double min_root(const tsf_fit_info *info, const tsf_auto_order *o, int s)
{
    size_t p = (size_t)o->p, q = (size_t)o->q, P = (size_t)o->P, Q = (size_t)o->Q;
    size_t sp = s > 1 ? (size_t)s : 1;
    if (info->ncoef < p + q + P + Q) return NAN;
    const double *ar = info->coef, *ma = ar + p, *sar = ma + q, *sma = sar + P;
    double ra = 2.0, rm = 2.0; /* NaN (solver failure) rejects the model */
    if (p + P > 0) ra = tsf_sarma_min_root(ar, p, sar, P, sp, -1.0);
    if (q + Q > 0) rm = tsf_sarma_min_root(ma, q, sma, Q, sp, +1.0);
    return isnan(ra) || isnan(rm) ? NAN : fmin(2.0, fmin(ra, rm));
}

/* forecast's checkarima: a fit whose coefficient covariance gives some
 * coefficient no variance (R: a NaN square root of var.coef's diagonal;
 * tsf: a NaN standard error, the Hessian not positive definite) is not a
 * candidate.  A user regressor left out as constant or collinear
 * (coefficient 0, standard error NaN; arima.c) is not such a coefficient. */
static int no_variance(const tsf_fit_info *info, size_t kuser)
{
    for (size_t i = 0; i < info->ncoef; i++) {
        int dropped = i >= info->ncoef - kuser && info->coef[i] == 0.0;
        if (isnan(info->se[i]) && !dropped) return 1;
    }
    return 0;
}

/* Fits one candidate; *ic = INFINITY when it fails or is rejected.  *out
 * receives the model when out is non-NULL and the fit is acceptable. */
static tsf_status fit_one(fit_ctx *c, const tsf_auto_order *o, int css, double *ic,
                          tsf_arima **out)
{
    *ic = INFINITY;
    if (out) *out = NULL;
    int diffs = o->d + o->D, s = c->period > 1 ? c->period : 1;
    tsf_arima_order ord = {o->p, o->d, o->q, s > 1 ? o->P : 0, s > 1 ? o->D : 0,
                           s > 1 ? o->Q : 0, s};
    tsf_fit_opts fo = c->base;
    fo.method = css ? TSF_METHOD_CSS : (c->base.method ? c->base.method : TSF_METHOD_CSS_ML);
    fo.include_mean = (o->constant && diffs == 0) ? 0 : -1;
    fo.include_drift = o->constant && diffs == 1;
    fo.period = s;
    tsf_arima *a = NULL;
    tsf_status st = tsf_arima_fit_order(&ord, c->y, c->n, c->xreg, &fo, &a);
    c->nfit++;
    if (st == TSF_ENOMEM) return st;
    if (st != TSF_OK) return TSF_OK;  /* a candidate that does not fit */
    tsf_fit_info info;
    memset(&info, 0, sizeof info);
    if (tsf_arima_info(a, &info) != TSF_OK) {
        tsf_arima_free(a);
        return TSF_OK;
    }
    double k = (double)info.ncoef + 1.0;
    double nstar = (double)c->nobs - o->d - (double)o->D * s;
    double aic = css ? c->offset + nstar * log(info.sigma2) + 2.0 * k
                     : -2.0 * info.loglik + 2.0 * k;
    double v = NAN;
    if (isfinite(aic) && nstar > 0.0) {
        switch (c->ic) {
        case TSF_IC_AIC: v = aic; break;
        case TSF_IC_BIC: v = aic + k * (log(nstar) - 2.0); break;
        default:  /* AICc is undefined once k + 1 >= n*: such a model is not a candidate */
            if (nstar - k - 1.0 > 0.0) v = aic + 2.0 * k * (k + 1.0) / (nstar - k - 1.0);
            break;
        }
    }
    double r = isfinite(v) ? min_root(&info, o, s) : NAN;
    if (isfinite(v) && r >= MIN_ROOT && !no_variance(&info, c->xreg ? c->xreg->k : 0)) {
        *ic = v;
        if (out) {
            *out = a;
            a = NULL;
        }
    }
    tsf_arima_free(a);
    return TSF_OK;
}

/* Search callback: exact fits keep the best model so that it need not be
 * refitted. */
static tsf_status search_fit(void *ctx, const tsf_auto_order *o, double *ic)
{
    fit_ctx *c = ctx;
    tsf_arima *a = NULL;
    tsf_status st = fit_one(c, o, c->css, ic, c->css ? NULL : &a);
    if (st != TSF_OK) return st;
    if (a && *ic < c->best_ic) {
        tsf_arima_free(c->best);
        c->best = a;
        c->best_ic = *ic;
    } else {
        tsf_arima_free(a);
    }
    return TSF_OK;
}

/* Differences lag-step y in place (NaN propagates); returns the new length. */
static size_t diff_lag(double *y, size_t n, size_t lag)
{
    if (n <= lag) return 0;
    for (size_t i = 0; i + lag < n; i++) y[i] = y[i + lag] - y[i];
    return n - lag;
}

/* 1 when y differenced d times and D times at lag m has no variation
 * (every observed difference equal): no ARIMA noise left to estimate. */
static int constant_after_differencing(const double *y, size_t n, int m, int d, int D,
                                       double *value)
{
    double *w = malloc((n ? n : 1) * sizeof *w);
    if (!w) return 0;
    memcpy(w, y, n * sizeof *w);
    size_t len = n;
    for (int i = 0; i < D; i++) len = diff_lag(w, len, (size_t)m);
    for (int i = 0; i < d; i++) len = diff_lag(w, len, 1);
    int constant = 1, seen = 0;
    for (size_t i = 0; i < len && constant; i++) {
        if (isnan(w[i])) continue;
        if (!seen) *value = w[i];
        else if (w[i] != *value) constant = 0;
        seen = 1;
    }
    free(w);
    return constant && seen;
}

/* 1 when a regressor (a column of xreg, or the trend 1..n) is constant
 * after differencing D times at lag m and d times at lag 1. */
static int xreg_degenerate(const tsf_xreg *xreg, int trend, size_t n, int m, int d, int D)
{
    double v;
    for (size_t j = 0; xreg && j < xreg->k; j++)
        if (constant_after_differencing(xreg->x + j * xreg->ld, n, m, d, D, &v)) return 1;
    if (trend) {
        double *t = malloc((n ? n : 1) * sizeof *t);
        if (!t) return 0;
        for (size_t i = 0; i < n; i++) t[i] = (double)(i + 1);
        int c = constant_after_differencing(t, n, m, d, D, &v);
        free(t);
        if (c) return 1;
    }
    return 0;
}

/* D by the seasonal test, then d by KPSS on the seasonally differenced y;
 * as forecast 8.20, an automatic D or d is lowered by one when it would
 * make a regressor constant (its effect would vanish from the
 * differenced regression). */
static tsf_status choose_differences(const tsf_auto_opts *o, const double *y, size_t n,
                                     int m, const tsf_xreg *xreg, int trend, int *d, int *D)
{
    tsf_status st = TSF_OK;
    *D = m > 1 ? o->D : 0;
    if (*D < 0) {
        st = tsf_nsdiffs(y, n, m, o->max_D, D);
        if (st != TSF_OK) return st;
        if (*D > 0 && xreg_degenerate(xreg, trend, n, m, 0, *D)) (*D)--;
    }
    *d = o->d;
    if (*d >= 0) return TSF_OK;
    double *w = malloc((n ? n : 1) * sizeof *w);
    if (!w) return tsf_set_error(TSF_ENOMEM, "auto: out of memory for %zu values", n);
    memcpy(w, y, n * sizeof *w);
    size_t len = n;
    for (int i = 0; i < *D; i++) len = diff_lag(w, len, (size_t)m);
    st = tsf_ndiffs(w, len, 0.05, o->max_d, d);
    free(w);
    if (st == TSF_OK && *d > 0 && xreg_degenerate(xreg, trend, n, m, *d, *D)) (*d)--;
    return st;
}

/* u = residuals of the least-squares regression of y on an intercept, the
 * columns of xreg and (trend) 1..n, over the rows where all are present;
 * NaN elsewhere. */
static tsf_status regression_residuals(const double *y, size_t n, const tsf_xreg *xreg,
                                       int trend, double *u)
{
    size_t k = 1 + (xreg ? xreg->k : 0) + (trend ? 1 : 0), m = 0;
    double *A = malloc((n * k > 0 ? n * k : 1) * sizeof *A), *b = malloc((n ? n : 1) * sizeof *b);
    size_t *row = malloc((n ? n : 1) * sizeof *row);
    tsf_status st = TSF_OK;
    if (!A || !b || !row) {
        st = tsf_set_error(TSF_ENOMEM, "auto: out of memory for the regression");
        goto done;
    }
    for (size_t t = 0; t < n; t++) {
        int ok = !isnan(y[t]);
        for (size_t j = 0; ok && xreg && j < xreg->k; j++) ok = isfinite(xreg->x[j * xreg->ld + t]);
        if (ok) row[m++] = t;
    }
    for (size_t i = 0; i < m; i++) { /* column-major m x k */
        size_t t = row[i], j = 0;
        A[j++ * m + i] = 1.0;
        for (size_t c = 0; xreg && c < xreg->k; c++) A[j++ * m + i] = xreg->x[c * xreg->ld + t];
        if (trend) A[j * m + i] = (double)(t + 1);
        b[i] = y[t];
    }
    for (size_t t = 0; t < n; t++) u[t] = NAN;
    if (m <= k) {
        st = tsf_set_error(TSF_EDOMAIN, "auto: %zu complete rows are too few for %zu "
                                        "regressors and an intercept", m, k - 1);
        goto done;
    }
    double *b0 = malloc(m * sizeof *b0), *A0 = malloc(m * k * sizeof *A0);
    if (!b0 || !A0) {
        free(b0);
        free(A0);
        st = tsf_set_error(TSF_ENOMEM, "auto: out of memory for the regression");
        goto done;
    }
    memcpy(b0, b, m * sizeof *b);
    memcpy(A0, A, m * k * sizeof *A);
    lapack_int rank;
    double rcond = 1e-10;
    /* dgelsd (SVD) also handles collinear regressors, as lm does */
    double *sv = malloc(k * sizeof *sv);
    lapack_int info = sv ? LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, 1, A,
                                          (lapack_int)m, b, (lapack_int)m, sv, rcond, &rank)
                         : -1;
    if (info == 0) {
        for (size_t i = 0; i < m; i++) {
            double f = 0.0;
            for (size_t j = 0; j < k; j++) f += A0[j * m + i] * b[j];
            u[row[i]] = b0[i] - f;
        }
    } else {
        st = sv ? tsf_set_error(TSF_ENOCONV, "auto: the regression on the regressors failed")
                : tsf_set_error(TSF_ENOMEM, "auto: out of memory for the regression");
    }
    free(sv);
    free(b0);
    free(A0);
done:
    free(A);
    free(b);
    free(row);
    return st;
}

tsf_status tsf_auto_arima(const tsf_auto_opts *o, const double *y, size_t n, int period,
                          const tsf_xreg *xreg, const tsf_fit_opts *fo, tsf_auto_result *res)
{
    if (!o || !y || !res) return tsf_set_error(TSF_EINVAL, "auto: NULL argument");
    memset(res, 0, sizeof *res);
    if (period < 1) period = 1;
    size_t first = 0, last = n, nobs = 0;
    while (first < n && isnan(y[first])) first++;
    while (last > first && isnan(y[last - 1])) last--;
    int constant_series = 1;
    for (size_t i = first; i < last; i++) {
        if (isnan(y[i])) continue;
        if (!isfinite(y[i]))
            return tsf_set_error(TSF_EINVAL, "auto: value %zu is infinite", i + 1);
        nobs++;
        if (y[i] != y[first]) constant_series = 0;
    }
    if (nobs < 4)
        return tsf_set_error(TSF_EDOMAIN, "auto: %zu observations are too few to select "
                                          "an ARIMA model (need at least 4)", nobs);
    if (constant_series)
        return tsf_set_error(TSF_EDEGENERATE, "auto: the series is constant (%g): there is "
                                          "nothing to model; use its value as the forecast",
                             y[first]);
    int m = period, d, D;
    if (xreg && xreg->k == 0) xreg = NULL;
    int trend = fo && fo->trend;
    tsf_status st;
    if (xreg || trend) {
        /* unit-root tests on the regression residuals (forecast 8.20) */
        double *u = malloc((n ? n : 1) * sizeof *u);
        if (!u) return tsf_set_error(TSF_ENOMEM, "auto: out of memory for %zu values", n);
        st = regression_residuals(y, n, xreg, trend, u);
        if (st == TSF_OK) st = choose_differences(o, u, n, m, xreg, trend, &d, &D);
        free(u);
    } else {
        st = choose_differences(o, y, n, m, NULL, 0, &d, &D);
    }
    if (st != TSF_OK) return st;
    double cval = 0.0;
    if ((d > 0 || D > 0) && constant_after_differencing(y, n, m, d, D, &cval))
        return tsf_set_error(TSF_EDEGENERATE, "auto: after differencing (d=%d, D=%d) every value "
                                          "is %g: the series is exactly predictable and has no "
                                          "noise for an ARIMA to model", d, D, cval);

    tsf_auto_search_opts so;
    tsf_auto_search_defaults(&so);
    so.period = m;
    so.d = d;
    so.D = D;
    /* at most a third of the data in each order (forecast's bounds) */
    so.max_p = o->max_p < (int)(nobs / 3) ? o->max_p : (int)(nobs / 3);
    so.max_q = o->max_q < (int)(nobs / 3) ? o->max_q : (int)(nobs / 3);
    int seas_cap = m > 1 ? (int)(nobs / 3 / (size_t)m) : 0;
    so.max_P = m > 1 ? (o->max_P < seas_cap ? o->max_P : seas_cap) : 0;
    so.max_Q = m > 1 ? (o->max_Q < seas_cap ? o->max_Q : seas_cap) : 0;
    /* with seasonal terms, non-seasonal lags up to m - 1 suffice */
    if (m > 1 && so.max_P > 0 && so.max_p > m - 1) so.max_p = m - 1;
    if (m > 1 && so.max_Q > 0 && so.max_q > m - 1) so.max_q = m - 1;
    int no_const = fo && fo->include_mean < 0;
    so.allow_constant = !no_const && ((d + D == 1 && o->allow_drift) ||
                                      (d + D == 0 && o->allow_mean));

    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.y = y;
    c.n = n;
    c.nobs = nobs;
    c.period = m;
    c.ic = o->ic;
    c.best_ic = INFINITY;
    c.xreg = xreg;
    if (fo) c.base = *fo;
    int approx = o->approximation >= 0 ? o->approximation : (nobs > 150 || m > 12);
    if (approx) {
        /* offset from an exact ARIMA(0,d,0)(0,D,0) (mean when d+D = 0):
         * with it, tsf's approximate criteria equal the values R prints
         * (checked on wineind, gold and co2) */
        tsf_arima_order ord = {0, d, 0, 0, m > 1 ? D : 0, 0, m > 1 ? m : 1};
        tsf_fit_opts f1 = c.base;
        f1.method = TSF_METHOD_CSS_ML;
        f1.include_mean = 0;
        f1.include_drift = 0;
        f1.period = ord.s;
        tsf_arima *a = NULL;
        tsf_fit_info info;
        memset(&info, 0, sizeof info);
        st = tsf_arima_fit_order(&ord, y, n, xreg, &f1, &a);
        if (st == TSF_ENOMEM) return st;
        if (st == TSF_OK && tsf_arima_info(a, &info) == TSF_OK && info.sigma2 > 0.0 &&
            isfinite(info.loglik))
            c.offset = -2.0 * info.loglik - (double)nobs * log(info.sigma2);
        else
            approx = 0;  /* no scale for CSS criteria: search exactly */
        tsf_arima_free(a);
    }
    c.css = approx;
    res->approximation = approx;
    so.max_order = o->max_order;
    st = o->stepwise ? tsf_auto_stepwise(&so, search_fit, &c, &res->trace)
                     : tsf_auto_exhaustive(&so, search_fit, &c, &res->trace);
    if (st != TSF_OK) {
        tsf_arima_free(c.best);
        tsf_auto_result_free(res);
        return st;
    }
    if (!approx) {
        if (c.best) {
            res->model = c.best;
            res->order = res->trace.orders[res->trace.best];
            res->ic = c.best_ic;
        }
    } else {
        /* refit exactly in order of the approximate criterion (stable) */
        size_t nt = res->trace.n;
        size_t *idx = malloc(nt * sizeof *idx);
        if (!idx) {
            tsf_auto_result_free(res);
            return tsf_set_error(TSF_ENOMEM, "auto: out of memory");
        }
        for (size_t i = 0; i < nt; i++) idx[i] = i;
        for (size_t i = 1; i < nt; i++)  /* insertion sort: stable, nt <= 94 */
            for (size_t j = i; j > 0 && res->trace.ic[idx[j]] < res->trace.ic[idx[j - 1]]; j--) {
                size_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        for (size_t i = 0; i < nt && !res->model && st == TSF_OK; i++) {
            double ic;
            tsf_arima *a = NULL;
            st = fit_one(&c, &res->trace.orders[idx[i]], 0, &ic, &a);
            if (a) {
                res->model = a;
                res->order = res->trace.orders[idx[i]];
                res->ic = ic;
            }
        }
        free(idx);
        if (st != TSF_OK) {
            tsf_auto_result_free(res);
            return st;
        }
    }
    if (!res->model) {
        tsf_auto_result_free(res);
        return tsf_set_error(TSF_ENOCONV, "auto: no suitable ARIMA model found among %d fits "
                                          "(all failed or had roots near the unit circle); "
                                          "try a fixed arima(p,d,q) spec", c.nfit);
    }
    return TSF_OK;
}
