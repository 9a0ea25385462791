/* The "ar" model family (R's stats::ar): internal parts shared by ar.c
 * (spec, fit, summary, persistence) and ar_predict.c (likelihood,
 * forecasts, simulation, residuals, streaming state through the Kalman
 * engine of arima_ss.h / arima_kf.h). */
#ifndef TSF_STATS_AR_MODEL_H
#define TSF_STATS_AR_MODEL_H

#include "core/internal.h"
#include "stats/ar_est.h"
#include "stats/arima_ss.h"

#define TSF_AR_MAX_ORDER 1000
#define TSF_AR_NAME_LEN 24

typedef struct {
    /* from the spec */
    tsf_ar_method method;
    long order;              /* fixed p, -1 when chosen by AIC */
    long max;                /* max=K, -1 for R's default */
    /* the fit */
    int fitted;
    tsf_ar_est est;
    double mu;               /* process mean: x.mean (+ x.intercept / (1 - sum ar) for ols) */
    double loglik, aic, aicc, bic;
    size_t nobs;
    int period;              /* the series' period: reported, not modelled */
    char model[32];          /* "AR(3)" */
    char (*namebuf)[TSF_AR_NAME_LEN]; /* coefficient names then trace labels */
    const char **names;      /* p coefficient names, then the trace labels */
} tsf_ar_impl;

/* The process of x = y - mu as the Kalman engine sees it. */
static inline tsf_arima_ss tsf_ar_ss(const tsf_ar_impl *a)
{
    tsf_arima_ss m = {a->est.order, 0, 0, a->est.ar, NULL, NULL, a->est.var_pred};
    return m;
}

/* Exact log-likelihood of y[0..n) from start under the fitted model. */
tsf_status tsf_ar_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         size_t start, double *ll);
tsf_status tsf_ar_forecast(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           size_t h, const double *levels, size_t nlevels,
                           const tsf_forecast_opts *opts, tsf_forecast_result *fc);
tsf_status tsf_ar_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                           const tsf_xreg *xreg, double *out);
tsf_status tsf_ar_residuals(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            double *fitted, double *resid);
tsf_status tsf_ar_state_new(const void *impl, void **st);
tsf_status tsf_ar_state_update(void *st, double y, const double *x, size_t k, double *logp);
tsf_status tsf_ar_state_forecast(void *st, size_t h, const double *levels, size_t nlevels,
                                 const tsf_forecast_opts *opts, tsf_forecast_result *fc);
void tsf_ar_state_free(void *st);
tsf_status tsf_ar_state_clone(const void *st, void **out);
typedef struct tsf_st tsf_st;
tsf_status tsf_ar_state_save(const void *st, tsf_st *doc);
tsf_status tsf_ar_state_load(const void *impl, const tsf_st *doc, void **st);

/* Kalman smoothing of y - mu (the model type's smooth entries). */
tsf_status tsf_ar_smooth(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         tsf_smooth_result *res);
tsf_status tsf_ar_smooth_draws(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, size_t npaths, uint64_t seed, double *out);


#endif
