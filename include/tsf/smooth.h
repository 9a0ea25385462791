/** @file
 * Smoothing: the distribution of every value of a series, observed
 * or missing, given all its observed values (fixed-interval Kalman
 * smoothing), and joint draws of the missing values (the simulation
 * smoother).
 *
 * Models: the Gaussian state-space families (ar, arima including
 * regression with ARIMA errors, auto).  The smoother is exact for the
 * fitted model with its parameters taken as known, including the filter's
 * start (the differenced part diffuse with variance 1e6 sigma2, as R's
 * makeARIMA): see docs/conditioning.md; these refuse a model fitted with a
 * --transform.  A family without a Kalman smoother whose streaming states
 * can be copied (gru, lstm, transformer) is answered by a particle smoother
 * (1000 particles, fixed seed 0 for tsf_smooth; dim 0 and no state
 * arrays); the others answer TSF_EUNSUP.
 *
 * Thread safety: distinct results may be used from distinct threads; a
 * fitted model may be smoothed from many threads at once (it is only read). */
#ifndef TSF_SMOOTH_H
#define TSF_SMOOTH_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "export.h"
#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The result of tsf_smooth(), allocated by the library and freed with
 * tsf_smooth_free() (the struct may gain fields at its end). */
typedef struct tsf_smooth_result {
    size_t n;             /**< series length */
    double *mean;         /**< n values: E[y_t | observed y]; y_t itself where observed */
    double *se;           /**< n values: sd(y_t | observed y); 0 where observed */
    size_t dim;           /**< state dimension (arima: max(p, q+1) + d + sD); 0 for particles */
    double *state_mean;   /**< n*dim: E[alpha_t | y], row t at state_mean + t*dim; NULL when
                               dim is 0 */
    double *state_var;    /**< n*dim: the diagonal of Var(alpha_t | y); NULL when dim is 0 */
} tsf_smooth_result;

/** Smooths y[0..n) (NaN = missing) under the fitted model m.  xreg: the
 * regressors of all n rows when m was fitted with some (else NULL); a
 * missing regressor value is an error.  The state is that of the series
 * after the regression part is removed (y - X beta).
 * Returns TSF_OK with *out owned by the caller (free with
 * tsf_smooth_free); TSF_EINVAL (unfitted model, bad arguments, infinite
 * values, regressors that do not match), TSF_EUNSUP (a family without a
 * smoother, a transformed model), TSF_ENOMEM, TSF_EDOMAIN (non-stationary
 * AR part).  *out is NULL on error.  out must not be NULL (TSF_EINVAL).
 * @par Ownership
 * The caller frees *out with tsf_smooth_free(); y and xreg are read
 * during the call only.
 * @par Thread safety
 * m is only read: many threads may smooth with one model at once. */
TSF_API tsf_status tsf_smooth(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                      tsf_smooth_result **out);

/** Frees a result of tsf_smooth() and its arrays; NULL is harmless. */
TSF_API void tsf_smooth_free(tsf_smooth_result *res);

/** npaths joint draws of the whole series from its distribution given the
 * observed values (Durbin & Koopman 2002): path k at out + k*n (npaths*n
 * doubles, caller's), observed values copied, missing ones drawn.  The
 * same seed gives the same paths.
 * @return statuses as tsf_smooth(); ::TSF_EINVAL for a NULL out with
 * npaths * n > 0.
 * @par Ownership
 * out belongs to the caller.
 * @par Thread safety
 * As tsf_smooth(). */
TSF_API tsf_status tsf_smooth_draws(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                            size_t npaths, uint64_t seed, double *out);

#ifdef __cplusplus
}
#endif
#endif
