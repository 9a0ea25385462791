/* Least-squares AR fit, as R's ar.ols (demean = TRUE, intercept = TRUE):
 * after removing the sample mean, x_t (t = m..n-1) is regressed on an
 * intercept and x_{t-1..t-m} (LAPACK dgels, QR).  For each order m
 *   var_m = RSS_m / (n - m),    AIC_m = n log var_m + 2 (m + 1),
 * var.pred is var_p, x.intercept the intercept, and the standard errors
 * are the regression's sqrt(diag((X'X)^{-1}) var_p). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "ar_est.h"
#include "core/internal.h"

/* Design matrix (column-major, N x (m+1)) and response for order m. */
static void design(const double *x, size_t n, size_t m, double *X, double *r)
{
    size_t N = n - m;
    for (size_t i = 0; i < N; i++) {
        X[i] = 1.0;
        for (size_t j = 1; j <= m; j++) X[j * N + i] = x[m + i - j];
        r[i] = x[m + i];
    }
}

/* Fits order m: coef[0..m] (intercept first) and the residual variance. */
static tsf_status fit_order(const double *x, size_t n, size_t m, double *X, double *r,
                            double *coef, double *var)
{
    size_t N = n - m, k = m + 1;
    design(x, n, m, X, r);
    lapack_int info = LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', (lapack_int)N, (lapack_int)k, 1, X,
                                    (lapack_int)N, r, (lapack_int)N);
    if (info != 0)
        return tsf_set_error(TSF_EDEGENERATE, "ar(method=ols): the lagged values are collinear at "
                             "order %zu (singular regression); use a lower order or "
                             "method=burg", m);
    memcpy(coef, r, k * sizeof *coef);
    double rss = 0.0;
    for (size_t i = 0; i < N; i++) {
        double fit = coef[0];
        for (size_t j = 1; j <= m; j++) fit += coef[j] * x[m + i - j];
        double res = x[m + i] - fit;
        rss += res * res;
    }
    *var = rss / (double)N;
    if (!(*var > 0.0))
        return tsf_set_error(TSF_EDEGENERATE, "ar(method=ols): the regression of order %zu fits "
                             "exactly (zero residual variance); use a lower order", m);
    return TSF_OK;
}

/* sqrt(diag((X'X)^{-1}) var) for order m (R's asy.se.coef). */
static void ols_se(const double *x, size_t n, size_t m, double *X, double *r, double var,
                   double *se_all)
{
    size_t N = n - m, k = m + 1;
    design(x, n, m, X, r);
    double *xtx = malloc(k * k * sizeof *xtx);
    lapack_int info = -1;
    if (xtx) {
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b <= a; b++) {
                double s = 0.0;
                for (size_t i = 0; i < N; i++) s += X[a * N + i] * X[b * N + i];
                xtx[a * k + b] = xtx[b * k + a] = s;
            }
        info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)k, xtx, (lapack_int)k);
        if (info == 0) info = LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'L', (lapack_int)k, xtx, (lapack_int)k);
    }
    for (size_t j = 0; j < k; j++) se_all[j] = info == 0 ? sqrt(xtx[j * k + j] * var) : NAN;
    free(xtx);
}

tsf_status tsf_ar_ols(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e)
{
    size_t K = order_max;
    tsf_status st = tsf_ar_check_complete(TSF_AR_OLS, y, n);
    if (st) return st;
    if (n < tsf_ar_min_obs(TSF_AR_OLS, K)) return tsf_ar_too_short(TSF_AR_OLS, K, n);
    double *x = malloc(n * sizeof *x), *X = malloc(n * (K + 1) * sizeof *X);
    double *r = malloc(n * sizeof *r), *coef = malloc((K + 1) * sizeof *coef);
    double *se = malloc((K + 1) * sizeof *se);
    if (!x || !X || !r || !coef || !se) {
        st = tsf_set_error(TSF_ENOMEM, "out of memory fitting an AR(%zu) by least squares", K);
        goto done;
    }
    double s = 0.0, ss = 0.0;
    for (size_t t = 0; t < n; t++) s += y[t];
    e->x_mean = s / (double)n;
    for (size_t t = 0; t < n; t++) {
        x[t] = y[t] - e->x_mean;
        ss += x[t] * x[t];
    }
    if (!(ss > 0.0)) {
        st = tsf_set_error(TSF_EDEGENERATE, "the series has zero variance: an AR model needs a "
                           "series that varies");
        goto done;
    }
    e->n_used = e->n_obs = n;
    size_t lo = aic ? 0 : K;
    if ((st = tsf_ar_est_alloc_aic(e, lo, K))) goto done;
    for (size_t m = lo; m <= K; m++) {
        double var;
        if ((st = fit_order(x, n, m, X, r, coef, &var))) goto done;
        e->aic[m - lo] = (double)n * log(var) + 2.0 * (double)(m + 1);
    }
    size_t p = tsf_ar_est_select(e);
    if ((st = tsf_ar_est_alloc_coef(e, p))) goto done;
    if ((st = fit_order(x, n, p, X, r, coef, &e->var_pred))) goto done;
    e->x_intercept = coef[0];
    memcpy(e->ar, coef + 1, p * sizeof *e->ar);
    ols_se(x, n, p, X, r, e->var_pred, se);
    memcpy(e->se, se + 1, p * sizeof *e->se);
    e->converged = 1;
done:
    free(x);
    free(X);
    free(r);
    free(coef);
    free(se);
    return st;
}
