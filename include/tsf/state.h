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

/* Feeds y_t (NaN = missing).  logp receives log p(y_t | y_<t) in the units
 * of y (0 for a missing value); summed over a series it equals tsf_loglik. */
tsf_status tsf_state_update(tsf_state *st, double y, double *logp);

/* Forecast h steps ahead from the current state. */
tsf_status tsf_state_forecast(const tsf_state *st, size_t h, const double *levels,
                              size_t nlevels, const tsf_forecast_opts *opts,
                              tsf_forecast_result **out);

#ifdef __cplusplus
}
#endif
#endif
