/* ARIMA / seasonal ARIMA with regression effects, fitted by exact Gaussian
 * maximum likelihood (library-internal API, also used by auto-ARIMA).
 *
 * A tsf_arima is the `impl` of a model of the "arima" family: every
 * function of tsf_arima_type accepts it.  auto-ARIMA fits candidates with
 * tsf_arima_fit_order() and keeps the chosen one as its own impl,
 * delegating loglik/forecast/simulate/residuals/state/save to
 * tsf_arima_type with that pointer. */
#ifndef TSF_STATS_ARIMA_H
#define TSF_STATS_ARIMA_H

#include <stddef.h>
#include "core/internal.h"

/* (p,d,q)(P,D,Q)[s]; s = 1 (and P = D = Q = 0) for a non-seasonal model. */
typedef struct {
    int p, d, q;
    int P, D, Q;
    int s;
} tsf_arima_order;

typedef struct tsf_arima tsf_arima;

extern const tsf_model_type tsf_arima_type;

/* Largest accepted p, q, P, Q (each) and d, D. */
#define TSF_ARIMA_MAX_PQ 30
#define TSF_ARIMA_MAX_D 3

/* An unfitted model of the given orders (validated: TSF_EINVAL). */
tsf_status tsf_arima_new(const tsf_arima_order *ord, tsf_arima **out);

/* Fits y[0..n) (NaN = missing) with optional regressors xreg (n rows).
 * Reads from opts (NULL = defaults): method (css, css-ml = default, ml),
 * include_mean (-1 none, 0 when d+D = 0, 1 same as 0: a constant is never
 * identifiable once differenced), include_drift (d+D <= 1), trend.
 * Errors: TSF_EDOMAIN (too few observations, constant series, AR part
 * non-stationary where it cannot be), TSF_ENOCONV (optimiser failed), with
 * a message.  On error the model stays unfitted (or keeps its earlier fit). */
tsf_status tsf_arima_fit(tsf_arima *a, const double *y, size_t n, const tsf_xreg *xreg,
                         const tsf_fit_opts *opts);

/* new + fit in one call; *out is NULL on error. */
tsf_status tsf_arima_fit_order(const tsf_arima_order *ord, const double *y, size_t n,
                               const tsf_xreg *xreg, const tsf_fit_opts *opts,
                               tsf_arima **out);

/* Summary of a fitted model (pointers valid while a lives):
 * model, order, seasonal, period, ncoef, coef_names, coef, se, sigma2,
 * loglik, aic, aicc, bic, nobs, converged.  TSF_EINVAL when unfitted. */
tsf_status tsf_arima_info(const tsf_arima *a, tsf_fit_info *info);

void tsf_arima_free(tsf_arima *a);

#endif
