/** @file
 * Streaming state: one observation at a time, O(1) each.
 *
 * A state belongs to one thread at a time: the functions that take a
 * non-const ::tsf_state (update, forecast) use its scratch space.  Distinct
 * states, of one model or several, may be used from distinct threads at
 * once. */
#ifndef TSF_STATE_H
#define TSF_STATE_H

#include "model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A streaming state: opaque handle made by tsf_state_new() or
 * tsf_state_load(), freed by tsf_state_free(). */
typedef struct tsf_state tsf_state;

/** A fresh state at the start of a series under the fitted model m.  The
 * state keeps its own copy of what it needs from m, which may be freed
 * first.
 * @return ::TSF_OK; ::TSF_EINVAL (m NULL or not fitted, out NULL),
 * ::TSF_EUNSUP (family without streaming), ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_state_free().
 * @par Thread safety
 * Reads m: may run while other threads read m. */
TSF_API tsf_status tsf_state_new(const tsf_model *m, tsf_state **out);

/** Frees a state; NULL is harmless. */
TSF_API void tsf_state_free(tsf_state *st);

/** An independent copy of st (same model, same position), e.g. one
 * particle of a particle filter.
 * @return ::TSF_OK; ::TSF_EUNSUP for a family whose states cannot be
 * copied; ::TSF_ENOMEM; ::TSF_EINVAL for a NULL argument.  *out is NULL on
 * error.
 * @par Ownership
 * The caller frees *out with tsf_state_free(); it does not depend on st.
 * @par Thread safety
 * st is only read: many threads may clone one state at once. */
TSF_API tsf_status tsf_state_clone(const tsf_state *st, tsf_state **out);

/** Feeds y_t (NaN = missing).  *logp (logp may be NULL) receives
 * log p(y_t | y_<t) in the units of y (0 for a missing value); summed over
 * a series it equals tsf_loglik().
 * @return ::TSF_OK; ::TSF_EINVAL (NULL state, infinite y, a model with user
 * regressors: use tsf_state_update_x()), ::TSF_EDOMAIN (non-positive y
 * under a log or Box-Cox transform). */
TSF_API tsf_status tsf_state_update(tsf_state *st, double y, double *logp);

/** Forecast h steps ahead from the current state, with intervals at the
 * levels (percent, in (0,100)).  The state's scratch space holds the
 * working arrays; what later updates see is unchanged.
 * @param opts options (future regressors, sampling), or NULL.
 * @return ::TSF_OK; ::TSF_EINVAL (NULL state or out, h == 0, bad level,
 * missing future regressors), ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_forecast_free(). */
TSF_API tsf_status tsf_state_forecast(tsf_state *st, size_t h, const double *levels,
                                      size_t nlevels, const tsf_forecast_opts *opts,
                                      tsf_forecast_result **out);

/** tsf_state_update() for a model fitted with k user regressors (a
 * regression with ARIMA errors, or a neural model: gru, lstm, transformer,
 * wavenet): x holds this observation's k regressor values, in the order of
 * the fit (a neural network reads them as inputs of the step it predicts,
 * so logp is log p(y | past, x)).  tsf_state_update() on such a model is
 * ::TSF_EINVAL (it lacks them); intercept, drift and trend need none.  Its
 * forecasts take the next h rows of the regressors from
 * opts->xreg_future, as tsf_forecast().
 * @return as tsf_state_update(); ::TSF_EINVAL for a wrong k or non-finite
 * x; ::TSF_EUNSUP for regressors to a family without them. */
TSF_API tsf_status tsf_state_update_x(tsf_state *st, double y, const double *x, size_t k,
                                      double *logp);

/** Saves the state to path (a safetensors file: the family's filter or
 * network state, position counters, and a fingerprint of the model),
 * written atomically, so that a program can stop and resume later.
 * @return ::TSF_OK; ::TSF_EINVAL (NULL argument), ::TSF_EUNSUP, ::TSF_EIO,
 * ::TSF_ENOMEM. */
TSF_API tsf_status tsf_state_save(const tsf_state *st, const char *path);

/** Restores a state saved by tsf_state_save() under m, which must be the
 * model the state was made from (the same fitted model, or one tsf_load()
 * gave back from its file).  The file is untrusted input: every length and
 * value is checked.
 * @return ::TSF_OK; ::TSF_EINVAL (another model, NULL argument),
 * ::TSF_EPARSE (damaged file), ::TSF_EIO, ::TSF_EUNSUP, ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_state_free(). */
TSF_API tsf_status tsf_state_load(const tsf_model *m, const char *path, tsf_state **out);

#ifdef __cplusplus
}
#endif
#endif
