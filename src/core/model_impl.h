/* The model handle (private to src/core). */
#ifndef TSF_CORE_MODEL_IMPL_H
#define TSF_CORE_MODEL_IMPL_H

#include "internal.h"

struct tsf_model {
    const tsf_model_type *type;
    char *spec;
    void *impl;          /* family data */
    int fitted;
    int spec_period;     /* the spec's [s], 0 when absent (tsf_fit_period) */
    int ensemble;        /* a neural spec's ensemble=K, 0 when absent */
    double lambda;       /* Box-Cox lambda of the transform, NaN when none */
    double jacobian;     /* sum of log|g'(y_t)| over the fitting data */
    double fit_seconds;
};

/* Looks a family up by spec name: tsf_registry_find in the library; unit
 * tests pass their own to use a family that is not registered. */
typedef const tsf_model_type *(*tsf_type_finder)(const char *name);

/* tsf_model_new with the family looked up by find. */
tsf_status tsf_model_new_find(const char *spec, tsf_type_finder find, tsf_model **out);

/* tsf_model_new_find for a spec found at offset in the enclosing spec
 * outer (a member of a combination): errors quote outer. */
tsf_status tsf_model_new_in(const char *spec, const char *outer, size_t offset,
                            tsf_type_finder find, tsf_model **out);

/* tsf_load with the family looked up by find (src/core/persist.c). */
tsf_status tsf_load_find(const char *path, tsf_type_finder find, tsf_model **out);

/* The document tsf_save writes for m: the core's metadata and the
 * family's tensors (TSF_EINVAL unfitted, TSF_EUNSUP without files). */
tsf_status tsf_model_to_doc(const tsf_model *m, tsf_st *doc);

/* The model held by an already read and validated document (used by
 * tsf_load and the fuzz target); file names it in messages; doc stays
 * owned by the caller. */
tsf_status tsf_load_doc(const tsf_st *doc, const char *file, tsf_type_finder find,
                        tsf_model **out);

/* What tsf_forecast and tsf_state_forecast do first: check h and the
 * levels, read the caller's options into *o, allocate the result. */
tsf_status tsf_forecast_begin(size_t h, const double *levels, size_t nlevels,
                              const tsf_forecast_opts *opts, tsf_forecast_opts *o,
                              tsf_forecast_result **fc);

/* TSF_EINVAL unless every level is a percentage in (0, 100). */
tsf_status tsf_check_levels(const double *levels, size_t nlevels);

/* One draw of the next observation from the state's one-step predictive
 * distribution, in y's units, by the inverse CDF at u in (0,1), fed to the
 * state; x, k: the step's regressors (src/core/state.c). */
typedef struct tsf_state tsf_state;
tsf_status tsf_state_sample(tsf_state *st, const double *x, size_t k, double u, double *y);

/* Forecast conditional on opts' given values by sequential Monte Carlo
 * (src/core/smc.c); fc allocated for h steps and the levels. */
tsf_status tsf_smc_forecast(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                            size_t h, const tsf_forecast_opts *opts, tsf_forecast_result *fc);

/* Imputation by a particle smoother through the streaming state
 * (src/core/smc.c): np particles (0: 1000), mean/se of every value given
 * the observed ones, and K paths drawn by their weights into draws (K x n,
 * may be NULL when K = 0). */
tsf_status tsf_smc_smooth(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                          size_t np, uint64_t seed, double *mean, double *se, size_t K,
                          double *draws);

#endif
