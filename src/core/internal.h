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

/* Writes text (len bytes) for a one-line message into out (size n): at
 * most 40 bytes, control bytes escaped (\n, \r, \xHH), "..." when cut.
 * Returns out. */
const char *tsf_show_text(char *out, size_t n, const char *text, size_t len);

/* Per-family type object (GSL style).  Every pointer except name, parse,
 * fit and free may be NULL: the call then fails with TSF_EUNSUP.  The core
 * (src/core/model.c) validates arguments, applies the --transform, adds the
 * Jacobian, times the fit and fills in generic info fields before or after
 * calling these. */
typedef struct tsf_model_type {
    const char *name;   /* spec name: "ar", "arima", "auto", "gru", ... */
    int neural;
    unsigned reads;     /* the options it reads: tsf_reads bits (tsf_model_reads) */
    /* Validates the spec into family options stored in *impl (allocated). */
    tsf_status (*parse)(const tsf_spec *spec, void **impl);
    /* y has been transformed already; period resolved (>= 1). */
    tsf_status (*fit)(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                      int period, const tsf_fit_opts *opts);
    tsf_status (*fit_many)(void *impl, const double *const *ys, const size_t *ns,
                           size_t nseries, int period, const tsf_fit_opts *opts);
    /* A global fit (tsf_fit_global): per-series scales and ids, and
     * xregs[k] the regressors of series k (xregs NULL: none); NULL: none. */
    tsf_status (*fit_global)(void *impl, const double *const *ys, const size_t *ns,
                             const tsf_xreg *const *xregs, const char *const *ids,
                             size_t nseries, int period, const tsf_fit_opts *opts);
    /* Fills every field of info except fit_seconds, lambda and the
     * transform's Jacobian (which the core adds to loglik/aic/aicc/bic). */
    tsf_status (*info)(const void *impl, tsf_fit_info *info);
    tsf_status (*loglik)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         size_t start, double *ll);
    tsf_status (*forecast)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                           size_t h, const double *levels, size_t nlevels,
                           const tsf_forecast_opts *opts, tsf_forecast_result *fc);
    /* Value-at-risk and expected shortfall (tsf_risk); rk is allocated. */
    tsf_status (*risk)(const void *impl, const double *y, size_t n, size_t h,
                       const double *levels, size_t nlevels, const tsf_forecast_opts *opts,
                       tsf_risk_result *rk);
    /* xreg: n rows of the model's regressors (NULL when it has none) */
    tsf_status (*simulate)(const void *impl, size_t n, size_t npaths, uint64_t seed,
                           const tsf_xreg *xreg, double *out);
    tsf_status (*residuals)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                            double *fitted, double *resid);
    /* Streaming state (see tsf/state.h): an opaque family state. */
    tsf_status (*state_new)(const void *impl, void **st);
    /* x: the k regressor values of this observation (NULL, 0 for none);
     * state_forecast takes future ones from opts->xreg_future, as forecast
     * does; it may use the state's scratch space (a state belongs to one
     * thread at a time) but leaves what later updates see unchanged.  A family without regressors refuses them; one with regressors
     * requires them. */
    tsf_status (*state_update)(void *st, double y, const double *x, size_t k, double *logp);
    tsf_status (*state_forecast)(void *st, size_t h, const double *levels, size_t nlevels,
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
    /* Optional, for particle methods (src/core/smc.c): a copy of a state
     * that evolves independently; state_sample draws the next observation
     * from the state's one-step predictive distribution by its inverse CDF
     * at u in (0,1) (x, k: the step's regressors), returns it in *y (on
     * the model's scale) and feeds it to the state, as state_update would.
     * Without state_sample, a family that is not neural is sampled from
     * its Gaussian state_forecast at h = 1. */
    tsf_status (*state_clone)(const void *st, void **out);
    tsf_status (*state_sample)(void *st, const double *x, size_t k, double u, double *y);
    /* Smoothing (tsf/smooth.h), optional: fill res->mean and res->se
     * (allocated by the core for n values) and allocate res->state_mean
     * and res->state_var (res->dim each row) with malloc; y is on the
     * model's scale.  smooth_draws: npaths joint draws into out. */
    tsf_status (*smooth)(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                         tsf_smooth_result *res);
    tsf_status (*smooth_draws)(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, size_t npaths, uint64_t seed, double *out);
    /* simulate with forecast options (seed, sampler; opts may be NULL);
     * NULL: the core calls simulate with opts->seed */
    tsf_status (*simulate_opts)(const void *impl, size_t n, size_t npaths,
                                const tsf_forecast_opts *opts, const tsf_xreg *xreg, double *out);
    /* The names of the user regressors the model was fitted with
     * (tsf_model_regressors), optional: NULL reports them from the
     * coefficient names (a regression with ARIMA errors). */
    tsf_status (*regressors)(const void *impl, size_t *k, const char *const **names);
} tsf_model_type;

/* Registry (src/core/registry.c): the type for a spec name, or NULL. */
const tsf_model_type *tsf_registry_find(const char *name);
/* Comma-separated list of the registered names into buf, for messages. */
void tsf_registry_names(char *buf, size_t n);

/* Allocates the arrays of a forecast result (mean, se, levels, lower,
 * upper) for h steps and nlevels levels, copying levels. */
tsf_status tsf_forecast_alloc(tsf_forecast_result *fc, size_t h, const double *levels,
                              size_t nlevels);

/* The caller's options (NULL: the defaults) as this library's full struct
 * (src/core/opts.c): the public entry points read their options through
 * these once, so the families always see every field.  TSF_EINVAL for a
 * size smaller than the 1.0 layout, TSF_EUNSUP for fields this library
 * does not know set to non-zero values. */
tsf_status tsf_fit_opts_read(const tsf_fit_opts *in, tsf_fit_opts *out);
tsf_status tsf_forecast_opts_read(const tsf_forecast_opts *in, tsf_forecast_opts *out);

/* The period of a fit (src/core/model.c): opt_period (tsf_fit_opts.period)
 * when > 0, else spec_period (the spec's [s]) when > 0, else
 * series_period when > 0, else 1.  The core resolves it before calling a
 * family's fit, which uses the period it is given. */
int tsf_fit_period(int opt_period, int spec_period, int series_period);

/* tsf_normal_intervals(fc) and fc->normal = 1: the forecast of a family
 * whose predictive distributions are Gaussian. */
void tsf_forecast_normal(tsf_forecast_result *fc);

/* Normal quantile helper: the z with P(Z <= z) = p. */
double tsf_qnorm(double p);

/* The levels' intervals of a Gaussian forecast: lower/upper =
 * mean -/+ z se with z = Phi^-1(1/2 + level/200), from fc's mean, se and
 * levels (src/core/util.c: the one place for normal intervals). */
void tsf_normal_intervals(tsf_forecast_result *fc);

/* The one answer of a family without regressors to a call that gives
 * some (fit, loglik, forecast, simulate, state update or forecast):
 * TSF_EUNSUP, the message naming the family and the alternative. */
tsf_status tsf_no_regressors(const char *family);

/* log N(e; 0, var) = -(log(2 pi var) + e^2 / var) / 2: the Gaussian log
 * density of a prediction error e with variance var. */
double tsf_gauss_logpdf(double e, double var);

/* Information criteria of a fit with log-likelihood loglik, k estimated
 * parameters (sigma2 included where it is estimated) and n observations:
 * AIC = -2 loglik + 2k, BIC = -2 loglik + k log n (Schwarz 1978),
 * AICc = AIC + 2k(k+1)/(n-k-1) (Hurvich & Tsai 1989), +infinity when
 * n - k - 1 <= 0 (never the minimum of a selection). */
void tsf_info_criteria(double loglik, double k, double n, double *aic, double *aicc,
                       double *bic);

/* Seconds from a monotonic clock. */
double tsf_now(void);

#endif
