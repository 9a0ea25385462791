/* Automatic ARIMA (Hyndman & Khandakar 2008, J. Stat. Software 27(3)) with
 * forecast 8.20's auto.arima defaults: D by seasonal strength, d by
 * repeated KPSS on the seasonally differenced series, then the stepwise
 * search (auto_search.h) over models fitted by tsf_arima_fit_order,
 * compared by AICc. */
#ifndef TSF_STATS_AUTO_ARIMA_H
#define TSF_STATS_AUTO_ARIMA_H

#include "arima.h"
#include "auto_search.h"

typedef enum { TSF_IC_AICC = 0, TSF_IC_AIC, TSF_IC_BIC } tsf_ic;

typedef struct {
    int max_p, max_q, max_P, max_Q;  /* 5, 5, 2, 2 */
    int max_d, max_D;                /* 2, 1 */
    int d, D;                        /* -1: chosen by the tests */
    tsf_ic ic;                       /* aicc */
    int approximation;               /* -1: n > 150 or period > 12; 0 no; 1 yes */
    int allow_drift, allow_mean;     /* 1, 1 */
    int stepwise;                    /* 1; 0: exhaustive search up to max_order */
    int max_order;                   /* 5: p+q+P+Q bound of the exhaustive search */
} tsf_auto_opts;

void tsf_auto_opts_default(tsf_auto_opts *o);

typedef struct {
    tsf_arima *model;        /* the chosen, fitted model (owned) */
    tsf_auto_order order;    /* its orders */
    double ic;               /* its criterion from the exact fit */
    tsf_auto_trace trace;    /* every model tried (CSS criteria when approximating) */
    int approximation;       /* 1 when the search used CSS fits */
} tsf_auto_result;

/* Runs the selection on y[0..n) (NaN = missing) with the given period.
 * fo supplies the fitting method of the final model (default CSS-ML),
 * include_mean = -1 forbids constants (mean and drift), trend = 1 adds the
 * regressor 1..n to every candidate.  xreg (may be NULL): regressors of a
 * regression with ARIMA errors, as forecast's auto.arima(xreg = ...): the
 * differencing tests run on the residuals of the least-squares regression
 * of y on them (and an intercept), every candidate is fitted with them.
 * Errors:
 * TSF_EDOMAIN (constant or too short series), TSF_ENOCONV (no model could
 * be fitted), TSF_ENOMEM.  On success the caller owns res (free with
 * tsf_auto_result_free). */
tsf_status tsf_auto_arima(const tsf_auto_opts *o, const double *y, size_t n, int period,
                          const tsf_xreg *xreg, const tsf_fit_opts *fo, tsf_auto_result *res);

void tsf_auto_result_free(tsf_auto_result *r);

#endif
