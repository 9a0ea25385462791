/* Exponential smoothing state-space models (ETS) of Hyndman, Koehler, Ord
 * & Snyder (2008), "Forecasting with Exponential Smoothing: the State Space
 * Approach" (Springer), referred to below as HKOS.
 *
 *   ets_core.c   the recursions of HKOS Table 2.3, likelihood, forecast
 *                means and variances (HKOS ch. 6), simulation
 *   ets_fit.c    initial states (HKOS sec. 2.6.1), parameter space (usual
 *                and admissible, HKOS ch. 10), maximum likelihood by
 *                Nelder-Mead (GSL), selection by AICc (HKOS ch. 7)
 *   ets_model.c  the tsf_model_type table, streaming states, model files */
#ifndef TSF_STATS_ETS_H
#define TSF_STATS_ETS_H

#include <stddef.h>
#include <stdint.h>
#include "core/internal.h"

#define TSF_ETS_MAXM 24 /* forecast::ets handles periods up to 24 */

enum { ETS_N = 0, ETS_A = 1, ETS_M = 2 };

/* One model form: ETS(error, trend[d], season) with period m (m = 1 when
 * non-seasonal). */
typedef struct {
    int error, trend, season, damped, m;
} tsf_ets_form;

/* A model form with its parameters.  x0 holds the initial states in R's
 * order: l, b (when trended), then s0, s1, .., s(m-1) where s0 is the most
 * recent seasonal state s_0 and s(m-1) is s_{1-m} (HKOS ch. 2 notation). */
typedef struct {
    tsf_ets_form f;
    double alpha, beta, gamma, phi;  /* beta, gamma 0 and phi 1 when absent */
    double x0[2 + TSF_ETS_MAXM];
    double sigma2;    /* sum of squared errors / (n - npar), as R (forecasts) */
    double sigma2ml;  /* sum of squared errors / n (the likelihood's MLE) */
    double loglik;    /* exact, in the data's units */
    size_t nobs;
    int converged;
} tsf_ets_par;

/* The running state: level, slope and a ring of the last m seasonal
 * states; ring[j] is s_{t-m} for the next observation. */
typedef struct {
    double l, b;
    double ring[TSF_ETS_MAXM];
    size_t j;
} tsf_ets_run;

/* ets_core.c */
void tsf_ets_label(const tsf_ets_form *f, char *buf, size_t n);
/* Number of free parameters as R counts them: smoothing parameters,
 * initial states less one seasonal state (normalised), plus sigma^2. */
int tsf_ets_npar(const tsf_ets_form *f);
/* Size of x0 (l, b, m seasonal states) for the form. */
int tsf_ets_nstate(const tsf_ets_form *f);
void tsf_ets_run_start(const tsf_ets_par *p, tsf_ets_run *r);
/* One-step point forecast from the running state. */
double tsf_ets_mu(const tsf_ets_par *p, const tsf_ets_run *r);
/* 1 when a one-step forecast mu is usable: finite, and positive under a
 * multiplicative error or season. */
int tsf_ets_mu_valid(const tsf_ets_par *p, double mu);
/* Advances the state by observation y (NaN: no correction). */
void tsf_ets_advance(const tsf_ets_par *p, tsf_ets_run *r, double y, double mu);
/* Filters y[0..n): sum of squared errors (relative for multiplicative
 * error), sum of log|mu| (multiplicative error) and count of observed
 * values; 0, or -1 when a forecast mu is not positive where it must be. */
int tsf_ets_filter(const tsf_ets_par *p, const double *y, size_t n, double *sse,
                   double *slogmu, size_t *nobs);
/* log p of y given mu under sigma2 (the model's error type). */
double tsf_ets_logdens(const tsf_ets_par *p, double y, double mu, double sigma2);
/* Forecast of h steps from r: point forecasts and standard errors (HKOS
 * ch. 6, classes 1-3); 0 when the form has no analytic variance. */
int tsf_ets_forecast_analytic(const tsf_ets_par *p, const tsf_ets_run *r, size_t h,
                              double *mean, double *se);
/* npaths sample paths of h steps from r, path k at out + k*h. */
tsf_status tsf_ets_sample(const tsf_ets_par *p, const tsf_ets_run *r, size_t h,
                          size_t npaths, uint64_t seed, double *out);
/* Forecast with intervals from r: analytic where HKOS gives it, by
 * simulation (opts->samples paths, default 5000, seeded) otherwise. */
tsf_status tsf_ets_forecast_run(const tsf_ets_par *p, const tsf_ets_run *r, size_t h,
                                const double *levels, size_t nlevels,
                                const tsf_forecast_opts *opts, tsf_forecast_result *fc);

/* ets_fit.c */
typedef struct {
    /* candidate components: bit k set when component value k is allowed
     * (error: A, M; trend: N, A; season: N, A, M) */
    unsigned errors, trends, seasons;
    int damped;       /* -1: both, 0: no, 1: yes */
} tsf_ets_choice;

typedef struct {
    size_t n;
    char labels[32][16];
    double aicc[32];  /* 1e300 when the fit failed */
} tsf_ets_trace;

/* ets_space.c: 1 when the discount matrix of (alpha, beta, gamma, phi) has
 * its eigenvalues inside the unit circle (the admissible region, HKOS
 * ch. 10; a seasonal model's unit eigenvalue excepted), 0 otherwise. */
int tsf_ets_admissible(const tsf_ets_form *f, double alpha, double beta, double gamma,
                       double phi);
/* ets_space.c: the heuristic initial states into p->x0 (R's order) from the
 * first periods of y (HKOS sec. 2.6.1; missing values interpolated for this
 * purpose only); 0 on success, -1 when y has no value, the seasonal
 * pattern cannot be estimated or memory runs out. */
int tsf_ets_initial_states(tsf_ets_par *p, const double *y, size_t n);
/* 1 when (alpha, beta, gamma, phi) lie in R's "both" region: the usual
 * bounds and the admissible region (HKOS ch. 10). */
int tsf_ets_params_ok(const tsf_ets_form *f, double alpha, double beta, double gamma,
                      double phi);
/* Fits the candidates of c to y by maximum likelihood and keeps the one
 * with the smallest AICc.  TSF_EINVAL with a message when the data do not
 * allow the requested components. */
tsf_status tsf_ets_select(const tsf_ets_choice *c, const char *spec, const double *y, size_t n,
                          int period, tsf_ets_par *best, tsf_ets_trace *trace);
/* AIC, AICc and BIC from the loglik with R's parameter count. */
void tsf_ets_ic(const tsf_ets_par *p, double *aic, double *aicc, double *bic);

#endif
