/* tsf — streaming state: one observation at a time, O(1) each. */
#ifndef TSF_STATE_H
#define TSF_STATE_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsf_state tsf_state;

/* A fresh state at the start of a series under the fitted model m.  The
 * state keeps its own copy of what it needs from m. */
tsf_status tsf_state_new(const tsf_model *m, tsf_state **out);

void tsf_state_free(tsf_state *st);

/* An independent copy of st (same model, same position), e.g. one
 * particle of a particle filter.  TSF_EUNSUP for a family whose states
 * cannot be copied (neural families for now), TSF_ENOMEM, TSF_EINVAL for
 * NULL arguments; *out is NULL on error.  Thread safety: st is only read. */
tsf_status tsf_state_clone(const tsf_state *st, tsf_state **out);

/* Feeds y_t (NaN = missing).  logp receives log p(y_t | y_<t) in the units
 * of y (0 for a missing value); summed over a series it equals tsf_loglik. */
tsf_status tsf_state_update(tsf_state *st, double y, double *logp);

/* Forecast h steps ahead from the current state. */
tsf_status tsf_state_forecast(const tsf_state *st, size_t h, const double *levels,
                              size_t nlevels, const tsf_forecast_opts *opts,
                              tsf_forecast_result **out);

/* tsf_state_update for a regression with ARIMA errors fitted with k user
 * regressors: x holds this observation's k regressor values, in the order
 * of the fit.  tsf_state_update on such a model is TSF_EINVAL (it lacks
 * them); intercept, drift and trend need none.  Its forecasts take the
 * next h rows of the regressors from opts->xreg_future, as tsf_forecast. */
tsf_status tsf_state_update_x(tsf_state *st, double y, const double *x, size_t k, double *logp);

/* Saves the state to path (a safetensors file: the family's filter or
 * network state, position counters, and a fingerprint of the model),
 * written atomically, so that a program can stop and resume later. */
tsf_status tsf_state_save(const tsf_state *st, const char *path);

/* Restores a state saved by tsf_state_save under m, which must be the model
 * the state was made from (the same fitted model, or one tsf_load gave back
 * from its file): TSF_EINVAL otherwise.  The file is untrusted input: every
 * length and value is checked (TSF_EPARSE). */
tsf_status tsf_state_load(const tsf_model *m, const char *path, tsf_state **out);

#ifdef __cplusplus
}
#endif
#endif
