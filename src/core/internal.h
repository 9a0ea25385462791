/* Library-internal declarations shared by core, stats and neural. */
#ifndef TSF_CORE_INTERNAL_H
#define TSF_CORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "tsf/tsf.h"
#include "spec.h"
#include "safetensors.h"

/* Sets this thread's detail message (printf format) and returns code. */
tsf_status tsf_set_error(tsf_status code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Per-family type object (GSL style).  Every pointer except name, parse,
 * fit and free may be NULL: the call then fails with TSF_EUNSUP.  The core
 * (src/core/model.c) validates arguments, applies the --transform, adds the
 * Jacobian, times the fit and fills in generic info fields before or after
 * calling these. */
typedef struct tsf_model_type {
    const char *name;   /* spec name: "ar", "arima", "auto", "gru", ... */
    int neural;
    /* Validates the spec into family options stored in *impl (allocated). */
    tsf_status (*parse)(const tsf_spec *spec, void **impl);
    /* y has been transformed already; period resolved (>= 1). */
    tsf_status (*fit)(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                      int period, const tsf_fit_opts *opts);
    tsf_status (*fit_many)(void *impl, const double *const *ys, const size_t *ns,
                           size_t nseries, int period, const tsf_fit_opts *opts);
    /* Fills every field of info except fit_seconds, lambda and the
     * transform's Jacobian (which the core adds to loglik/aic/aicc/bic). */
    tsf_status (*info)(const void *impl, tsf_fit_info *info);
    tsf_status (*loglik)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         size_t start, double *ll);
    tsf_status (*forecast)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           size_t h, const double *levels, size_t nlevels,
                           const tsf_forecast_opts *opts, tsf_forecast_result *fc);
    /* xreg: n rows of the model's regressors (NULL when it has none) */
    tsf_status (*simulate)(const void *impl, size_t n, size_t npaths, uint64_t seed,
                           const tsf_xreg *xreg, double *out);
    tsf_status (*residuals)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            double *fitted, double *resid);
    /* Streaming state (see tsf/state.h): an opaque family state. */
    tsf_status (*state_new)(const void *impl, void **st);
    /* x: the k regressor values of this observation (NULL, 0 for none);
     * state_forecast takes future ones from opts->xreg_future, as forecast
     * does.  A family without regressors refuses them; one with regressors
     * requires them. */
    tsf_status (*state_update)(void *st, double y, const double *x, size_t k, double *logp);
    tsf_status (*state_forecast)(const void *st, size_t h, const double *levels, size_t nlevels,
                                 const tsf_forecast_opts *opts, tsf_forecast_result *fc);
    void (*state_free)(void *st);
    /* A state's own arrays and counters into doc (tensor names begin with
     * "state.") / a state of impl restored from doc.  The document is
     * untrusted: state_load checks every tensor's length and value. */
    tsf_status (*state_save)(const void *st, tsf_st *doc);
    tsf_status (*state_load)(const void *impl, const tsf_st *doc, void **st);
    /* Persistence: the family adds its tensors and metadata to doc / reads
     * them back (the core stores family, spec, version and transform).
     * load: on entry *impl holds what parse() made of the stored spec; fill
     * it in, or replace it and free the old one.  On failure leave in *impl
     * NULL or something the family's free() accepts; the core frees it.
     * The file is untrusted: check every tensor's shape and value. */
    tsf_status (*save)(const void *impl, tsf_st *doc);
    tsf_status (*load)(const tsf_st *doc, void **impl);
    void (*free)(void *impl);
    /* simulate with forecast options (seed, sampler; opts may be NULL);
     * NULL: the core calls simulate with opts->seed */
    tsf_status (*simulate_opts)(const void *impl, size_t n, size_t npaths,
                                const tsf_forecast_opts *opts, const tsf_xreg *xreg, double *out);
} tsf_model_type;

/* Registry (src/core/registry.c): the type for a spec name, or NULL. */
const tsf_model_type *tsf_registry_find(const char *name);
/* Comma-separated list of the registered names into buf, for messages. */
void tsf_registry_names(char *buf, size_t n);

/* Allocates the arrays of a forecast result (mean, se, levels, lower,
 * upper) for h steps and nlevels levels, copying levels. */
tsf_status tsf_forecast_alloc(tsf_forecast_result *fc, size_t h, const double *levels,
                              size_t nlevels);

/* Normal quantile helper: the z with P(Z <= z) = p. */
double tsf_qnorm(double p);

/* Seconds from a monotonic clock. */
double tsf_now(void);

#endif
