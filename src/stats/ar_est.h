/* Estimators of AR(p) models as R's stats::ar (R 4.2): Yule-Walker, Burg,
 * OLS and exact maximum likelihood, each with order selection by AIC.
 * The results carry what R's ar() object carries: order, ar, var.pred,
 * x.mean, x.intercept (ols), the aic differences and asymptotic standard
 * errors of the coefficients. */
#ifndef TSF_STATS_AR_EST_H
#define TSF_STATS_AR_EST_H

#include <stddef.h>
#include "tsf/error.h"

typedef enum { TSF_AR_YW = 0, TSF_AR_BURG, TSF_AR_OLS, TSF_AR_MLE } tsf_ar_method;

typedef struct {
    tsf_ar_method method;
    size_t order;       /* chosen (or fixed) order p */
    size_t order_min;   /* aic[i] belongs to order order_min + i */
    size_t order_max;
    double *ar;         /* p coefficients: x_t = sum ar_j x_{t-j} + e_t */
    double *se;         /* p asymptotic standard errors (R's asy.var.coef / asy.se.coef) */
    double var_pred;    /* R's var.pred */
    double x_mean;      /* R's x.mean */
    double x_intercept; /* R's x.intercept (ols), else 0 */
    double *aic;        /* order_max - order_min + 1 values: AIC - min AIC */
    size_t n_used;      /* length of the series */
    size_t n_obs;       /* observed (non-missing) values */
    int converged;      /* mle: the optimiser converged at the chosen order */
} tsf_ar_est;

/* Frees the arrays of e (not e itself) and zeroes it; NULL is harmless. */
void tsf_ar_est_clear(tsf_ar_est *e);

/* R's default maximum order: min(n - 1, floor(10 log10 n)), and for mle
 * also at most 12. */
size_t tsf_ar_default_max(tsf_ar_method method, size_t n);

/* Fewest observations an order-p fit of the method needs. */
size_t tsf_ar_min_obs(tsf_ar_method method, size_t p);

/* Method names as in specs ("yule-walker", "burg", "ols", "mle"). */
const char *tsf_ar_method_name(tsf_ar_method method);

/* Fits y[0..n) by the method.  aic = 1: order chosen by AIC among 0..order_max
 * (R's aic = TRUE); aic = 0: order = order_max.  Missing values (NaN) are
 * accepted by Yule-Walker only (R's na.action = na.pass); the others return
 * TSF_EDOMAIN as R does ("NAs in 'x'"). */
tsf_status tsf_ar_estimate(tsf_ar_method method, const double *y, size_t n, size_t order_max,
                           int aic, tsf_ar_est *e);

tsf_status tsf_ar_yw(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e);
tsf_status tsf_ar_burg(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e);
tsf_status tsf_ar_ols(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e);
tsf_status tsf_ar_mle(const double *y, size_t n, size_t order_max, int aic, tsf_ar_est *e);

/* --- helpers shared by the estimators (ar_est.c) --- */

/* Allocates e->aic for orders lo..hi and e->ar/e->se for p coefficients
 * once the order is known (call with the final p). */
tsf_status tsf_ar_est_alloc_aic(tsf_ar_est *e, size_t lo, size_t hi);
tsf_status tsf_ar_est_alloc_coef(tsf_ar_est *e, size_t p);

/* Turns raw AIC values (e->aic) into differences from their minimum and
 * returns the order of the minimum (the first one on ties, as R). */
size_t tsf_ar_est_select(tsf_ar_est *e);

/* R's asy.var.coef for yule-walker, burg and mle:
 * se_j = sqrt([Gamma_p^{-1}]_jj var_pred / n), Gamma_p the Toeplitz matrix
 * of the sample autocovariances gamma[0..p) (Brockwell & Davis 1991,
 * Thm. 8.1.1). */
tsf_status tsf_ar_toeplitz_se(const double *gamma, size_t p, double var_pred, size_t n,
                              double *se);

/* Error for a series too short for an order-p fit. */
tsf_status tsf_ar_too_short(tsf_ar_method method, size_t p, size_t nobs);

/* Error when y holds a missing value (methods other than Yule-Walker). */
tsf_status tsf_ar_check_complete(tsf_ar_method method, const double *y, size_t n);

#endif
