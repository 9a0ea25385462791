/* Forecast accuracy measures shared by tsf compare and tsf evaluate
 * (docs/evaluate.md gives the definitions). */
#ifndef TSF_CLI_METRICS_H
#define TSF_CLI_METRICS_H

#include <stddef.h>
#include "tsf/tsf.h"

/* CRPS of N(mu, s^2) at x (Gneiting & Raftery 2007, eq. 5); |x - mu| when
 * s = 0. */
double metric_crps_normal(double mu, double s, double x);

/* In-sample mean of |y_t - y_{t-m}| (power 1) or of (y_t - y_{t-m})^2
 * (power 2) over the pairs with both values observed: the seasonal naive
 * scale of MASE (Hyndman & Koehler 2006) and RMSSE, m = period, or 1 when
 * the period is 1 or the series is not longer than the period.  NaN when
 * no pair is observed. */
double metric_naive_scale(const double *y, size_t n, int period, int power);

/* The levels (percent) whose interval ends are the quantiles at
 * tau = 0.01, 0.03, ..., 0.99 (METRIC_QGRID of them, 2 per level). */
#define METRIC_QGRID 50
void metric_quantile_levels(double *levels /* METRIC_QGRID / 2 */);

/* CRPS at x of a forecast known through the quantiles of
 * metric_quantile_levels (level k at lower/upper + k*h, step i):
 * 2 * mean over tau of the quantile score (1{x < q_tau} - tau)(q_tau - x),
 * the midpoint rule for CRPS = 2 int_0^1 QS_tau d tau (Gneiting & Ranjan
 * 2011). */
double metric_crps_quantiles(const tsf_forecast_result *fc, size_t first, size_t i, double x);

#endif
