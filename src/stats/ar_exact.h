/* Exact Gaussian likelihood of a stationary AR(p) through the innovations
 * of the Durbin-Levinson predictors (Brockwell & Davis 1991, sec. 5.2 and
 * 8.7): with partial autocorrelations kappa_1..kappa_p and innovation
 * variance sigma2, x_t given x_0..x_{t-1} has mean sum_j phi_{k,j} x_{t-j}
 * (k = min(t, p), the order-k predictor) and variance sigma2 r_t with
 * r_t = 1 / prod_{j=k+1..p} (1 - kappa_j^2), so
 *   -2 log L = n log(2 pi sigma2) + sum_t log r_t + sum_t e_t^2 / (r_t sigma2).
 * Used by the ML optimiser (fast, O(n p) per evaluation); the model's
 * reported likelihood goes through the Kalman engine (arima_ss.h). */
#ifndef TSF_STATS_AR_EXACT_H
#define TSF_STATS_AR_EXACT_H

#include <stddef.h>
#include "tsf/error.h"

/* x[0..n): mean-removed, no missing values.  table: p*(p+1) scratch.
 * *ssq = sum e_t^2 / r_t, *sumlogr = sum log r_t. */
void tsf_ar_exact_terms(const double *kappa, size_t p, const double *x, size_t n,
                        double *table, double *ssq, double *sumlogr);

#endif
