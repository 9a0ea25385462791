/* State-space form of a (seasonal) ARIMA process and its Kalman filter:
 * the one mechanism behind exact likelihoods, forecasts, residuals,
 * simulation and streaming updates of every classical model (ar, arima,
 * auto).
 *
 *   x_t = y_t - (mean / regression part)  follows
 *   phi(B) delta(B) x_t = theta(B) e_t,  e_t ~ N(0, sigma2)
 *
 * phi, theta are the full (seasonal factors multiplied out) polynomials
 * 1 - phi_1 B - ... and 1 + theta_1 B + ...; delta is the differencing
 * polynomial (1-B)^d (1-B^s)^D written as x_t = sum delta_i x_{t-i} + w_t.
 * The stationary part starts from its exact stationary covariance, the
 * differenced part diffusely (Durbin & Koopman 2012, sec. 5; Gardner,
 * Harvey & Phillips 1980). */
#ifndef TSF_STATS_ARIMA_SS_H
#define TSF_STATS_ARIMA_SS_H

#include <stddef.h>
#include <stdint.h>
#include "tsf/error.h"

typedef struct {
    size_t p, q, nd;
    const double *phi;    /* p */
    const double *theta;  /* q */
    const double *delta;  /* nd */
    double sigma2;
} tsf_arima_ss;

/* Exact Gaussian log p(x[start..n) | x[0..start)), NaN entries skipped.
 * Observations whose prediction variance is still diffuse (the first
 * nd non-missing ones) contribute nothing, as in R's arima. */
tsf_status tsf_arima_ss_loglik(const tsf_arima_ss *m, const double *x, size_t n,
                               size_t start, double *ll);

/* h-step forecasts after x[0..n): mean[h] and se[h] (sigma2 included). */
tsf_status tsf_arima_ss_forecast(const tsf_arima_ss *m, const double *x, size_t n,
                                 size_t h, double *mean, double *se);

/* Standardised innovations r_t = v_t / sqrt(F_t) over x[0..n), F_t the
 * innovation variance relative to sigma2 (as R's residuals.Arima; during
 * the diffuse start F_t is of the order of kappa, so r_t is near zero, not
 * missing); NaN only where x is missing. */
tsf_status tsf_arima_ss_resid(const tsf_arima_ss *m, const double *x, size_t n, double *resid);

/* One-step predictions of x over x[0..n) (NaN while diffuse or missing). */
tsf_status tsf_arima_ss_fitted(const tsf_arima_ss *m, const double *x, size_t n,
                               double *pred);

/* npaths simulated paths of length n (stationary start, integrated part
 * starting at zero), path k at out + k*n. */
tsf_status tsf_arima_ss_simulate(const tsf_arima_ss *m, size_t n, size_t npaths,
                                 uint64_t seed, double *out);

/* Fixed-interval smoother (arima_smooth.c) of the filter's model over
 * x[0..n) (NaN = missing), consistent with its kappa start: ymean[t] =
 * E[x_t | observed x] (x_t itself where observed), yvar[t] its variance
 * (sigma2 included; 0 where observed), smean[t*dim + i] and svar[t*dim + i]
 * the smoothed mean and variance of state element i (dim =
 * tsf_arima_ss_dim(m); the state of arima_kf.h).  Any output may be NULL;
 * without yvar and svar only the mean recursions run. */
tsf_status tsf_arima_ss_smooth(const tsf_arima_ss *m, const double *x, size_t n,
                               double *ymean, double *yvar, double *smean, double *svar);
/* The same without the steady-state shortcut: the variance recursions
 * run at every step (the tests' reference for the fast path). */
tsf_status tsf_arima_ss_smooth_full(const tsf_arima_ss *m, const double *x, size_t n,
                                    double *ymean, double *yvar, double *smean, double *svar);
size_t tsf_arima_ss_dim(const tsf_arima_ss *m);

/* h-step forecasts after x[0..n) given x at ng future steps gs[i]
 * (1-based, distinct, <= h) equal to gv[i]: mean and se (sigma2 included;
 * 0 at the given steps). */
tsf_status tsf_arima_ss_forecast_given(const tsf_arima_ss *m, const double *x, size_t n,
                                       size_t h, const size_t *gs, const double *gv, size_t ng,
                                       double *mean, double *se);

/* tsf_arima_ss_smooth into a tsf_smooth_result whose mean and se hold n
 * values: allocates its state arrays, turns variances into standard
 * errors and adds xb[t] (the regression part, NULL for none) to the mean. */
typedef struct tsf_smooth_result tsf_smooth_result;
tsf_status tsf_arima_ss_smooth_into(const tsf_arima_ss *m, const double *x, size_t n,
                                    const double *xb, tsf_smooth_result *res);

/* npaths joint draws of x[0..n) given its observed values (Durbin &
 * Koopman 2002 simulation smoother), path k at out + k*n; observed values
 * are copied. */
tsf_status tsf_arima_ss_smooth_draws(const tsf_arima_ss *m, const double *x, size_t n,
                                     size_t npaths, uint64_t seed, double *out);

#endif
