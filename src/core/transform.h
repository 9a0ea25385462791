/* Box-Cox family of variance-stabilising transforms (log = lambda 0),
 * applied by the core around every model so that likelihoods stay in the
 * data's own units (Jacobian) and forecasts are back-transformed. */
#ifndef TSF_CORE_TRANSFORM_H
#define TSF_CORE_TRANSFORM_H

#include <stddef.h>
#include "tsf/error.h"
#include "tsf/model.h"

/* g(y) = (y^lambda - 1)/lambda, log y when lambda == 0.  y must be > 0. */
double tsf_boxcox(double y, double lambda);
/* Inverse of g; NaN outside its range. */
double tsf_boxcox_inv(double z, double lambda);
/* log |g'(y)| = (lambda - 1) log y. */
double tsf_boxcox_logjac(double y, double lambda);
/* Mean of g^{-1}(Z) for Z ~ N(m, v), to second order (Hyndman's biasadj). */
double tsf_boxcox_inv_biasadj(double m, double v, double lambda);

/* Transforms y[0..n) into out (NaN stays NaN).  TSF_EDOMAIN naming the
 * first non-positive value. */
tsf_status tsf_boxcox_apply(const double *y, size_t n, double lambda, double *out);

/* Guerrero (1993) lambda in [-1, 2] as forecast::BoxCox.lambda: subseries
 * of length period (2 when period is 1), minimise the coefficient of
 * variation of sd_i / mean_i^(1-lambda). */
tsf_status tsf_boxcox_guerrero(const double *y, size_t n, int period, double *lambda);

/* Maps a forecast made on the scale of g(y) back to y's units (shared by
 * tsf_forecast and tsf_state_forecast): quantiles through g^{-1}, the mean
 * to the median (or the bias-adjusted mean when biasadj), se by the delta
 * method. */
void tsf_boxcox_forecast_inv(tsf_forecast_result *fc, double lambda, int biasadj);

#endif
