/* tsf — the one interface every model family answers.
 *
 * A model is created from a spec string ("arima(1,1,1)(0,1,1)[12]",
 * "ar(max=10, method=burg)", "auto", "gru(hidden=64)", ...), fitted to a
 * series, and then answers exact log-likelihoods, forecasts, simulations and
 * streaming updates.  Series are double arrays with NaN for missing values.
 *
 * Thread safety: distinct handles may be used from distinct threads; a
 * fitted model may be read (loglik, forecast, simulate, state_new) from many
 * threads at once. */
#ifndef TSF_MODEL_H
#define TSF_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsf_model tsf_model;

/* Regressors: k columns of rows values each, column j at x + j*ld. */
typedef struct {
    size_t k;
    const double *x;
    size_t ld;
    const char *const *names; /* k names, may be NULL ("xreg1", ...) */
} tsf_xreg;

typedef enum {
    TSF_METHOD_DEFAULT = 0, /* css-ml for arima */
    TSF_METHOD_CSS_ML,
    TSF_METHOD_ML,
    TSF_METHOD_CSS
} tsf_method;

typedef enum {
    TSF_TRANSFORM_NONE = 0,
    TSF_TRANSFORM_LOG,
    TSF_TRANSFORM_BOXCOX,      /* lambda given */
    TSF_TRANSFORM_BOXCOX_AUTO  /* lambda by Guerrero's method at fit time */
} tsf_transform;

typedef enum {
    TSF_DEVICE_AUTO = 0,
    TSF_DEVICE_CPU,
    TSF_DEVICE_CUDA
} tsf_device;

typedef enum {
    TSF_PRECISION_FP32 = 0,
    TSF_PRECISION_TF32,
    TSF_PRECISION_BF16
} tsf_precision;

/* Options of a fit.  Zero-initialise, then set what you need: zero means
 * "the default" everywhere. */
typedef struct {
    tsf_method method;
    int include_mean;      /* -1: no mean; 0: R's default (mean when d+D=0); 1: force */
    int include_drift;     /* 1: drift term (d+D = 1) */
    int trend;             /* 1: regressor 1..n named "xreg" when alone, as R's xreg=1:n */
    int period;            /* 0: from the spec or the series (see tsf_fit) */
    tsf_transform transform;
    double lambda;         /* Box-Cox lambda for TSF_TRANSFORM_BOXCOX */
    /* neural training */
    int epochs, batch;
    double lr;
    uint64_t seed;
    int threads;           /* 0: library default */
    tsf_device device;
    tsf_precision precision;
    int verbose;           /* neural: report progress through progress() */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;
} tsf_fit_opts;

/* How sampling-based (neural) forecasts draw their paths; the same seed
 * gives the same paths either way (docs/neural.md, "Sampling"). */
typedef enum {
    TSF_SAMPLER_AUTO = 0,  /* parallel where it is measured faster, else ancestral */
    TSF_SAMPLER_ANCESTRAL, /* one step at a time, each sample the next input */
    TSF_SAMPLER_PARALLEL   /* fixed-point iteration over all steps (transformer, wavenet) */
} tsf_sampler;

/* Forecast options (zero-initialise). */
typedef struct {
    const tsf_xreg *xreg_future; /* h rows of future regressors, when fitted with xreg */
    uint64_t seed;               /* sampling-based models */
    size_t samples;              /* sample paths; 0 = model default (200) */
    int biasadj;                 /* back-transformed mean instead of median */
    tsf_sampler sampler;         /* neural models; 0 = auto.  parallel with gru/lstm, or
                                  * with a streaming state: TSF_EUNSUP */
} tsf_forecast_opts;

typedef struct {
    size_t h;
    size_t nlevels;
    double *mean;   /* h */
    double *se;     /* h, NaN when not defined (e.g. after a transform) */
    double *levels; /* nlevels, in percent (80, 95) */
    double *lower;  /* nlevels * h: level i at lower + i*h */
    double *upper;
} tsf_forecast_result;

void tsf_forecast_free(tsf_forecast_result *fc);

/* What a fitted model reports.  Pointers stay valid while the model lives
 * and is not refitted. */
typedef struct {
    const char *model;         /* "ARIMA(1,1,1)(0,1,1)[12]", "AR(3)", ... */
    int order[3];              /* p, d, q (AR: p, 0, 0) */
    int seasonal[3];           /* P, D, Q */
    int period;
    size_t ncoef;
    const char *const *coef_names; /* R's names: ar1.. ma1.. sar1.. sma1.. intercept drift */
    const double *coef;
    const double *se;          /* NaN where not available */
    double sigma2;             /* innovation variance (ar: var_pred) */
    double mean;               /* ar(): the series mean subtracted; NaN otherwise */
    double loglik, aic, aicc, bic; /* in the data's own units (transform Jacobian added) */
    size_t nobs;               /* observations used by the likelihood */
    int converged;
    double fit_seconds;
    /* trace of the selection: ar() AIC per order (labels "0".."K", values
     * AIC - min AIC, as R), auto: models tried with their AICc. */
    size_t ntrace;
    const char *const *trace_labels;
    const double *trace_values;
    double lambda;             /* Box-Cox lambda used (NaN when none) */
} tsf_fit_info;

/* Creates an unfitted model from a spec.  TSF_EPARSE with a message that
 * quotes the spec and points at the offending text. */
tsf_status tsf_model_new(const char *spec, tsf_model **out);

/* Frees a model; NULL is harmless. */
void tsf_model_free(tsf_model *m);

/* The spec text the model was created from. */
const char *tsf_model_spec(const tsf_model *m);

/* Family name ("ar", "arima", "auto", "gru", ...). */
const char *tsf_model_family(const tsf_model *m);

/* 1 when the model family is a neural network. */
int tsf_model_is_neural(const tsf_model *m);

/* Fits the model to y[0..n).  xreg may be NULL.  opts may be NULL
 * (defaults).  The period comes from opts->period, else the spec's [s],
 * else series_period (pass 0 when unknown). */
tsf_status tsf_fit(tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                   int series_period, const tsf_fit_opts *opts);

/* Fits one global model to several series (neural families; classical
 * families require nseries == 1). */
tsf_status tsf_fit_many(tsf_model *m, const double *const *ys, const size_t *ns,
                        size_t nseries, int series_period, const tsf_fit_opts *opts);

/* Summary of a fitted model. */
tsf_status tsf_model_info(const tsf_model *m, tsf_fit_info *info);

/* Exact log p(y[start..n) | y[0..start)) in the units of y, under the fitted
 * parameters.  Missing values (NaN) are skipped, not imputed.  xreg holds
 * the regressors of all n rows when the model was fitted with some. */
tsf_status tsf_loglik(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                      size_t start, double *ll);

/* Forecasts h steps after y[0..n) at the given levels (percent, in (0,100)). */
tsf_status tsf_forecast(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                        size_t h, const double *levels, size_t nlevels,
                        const tsf_forecast_opts *opts, tsf_forecast_result **out);

/* Simulates npaths independent series of length n from the fitted model
 * (stationary start; for integrated models the start of the integrated
 * part is zero).  out holds npaths*n values, path k at out + k*n. */
tsf_status tsf_simulate(const tsf_model *m, size_t n, size_t npaths, uint64_t seed, double *out);

/* The same for a regression with ARIMA errors fitted with user regressors:
 * xreg holds their n rows (the paths are X beta plus simulated errors). */
tsf_status tsf_simulate_x(const tsf_model *m, size_t n, size_t npaths, uint64_t seed,
                          const tsf_xreg *xreg, double *out);

/* tsf_simulate_x with the seed and, for neural models, the sampler of
 * opts (opts NULL: seed 0, auto); the other fields are ignored.  Same
 * statuses as tsf_simulate_x, plus TSF_EUNSUP for TSF_SAMPLER_PARALLEL
 * with a gru or lstm.  Thread safety as tsf_simulate. */
tsf_status tsf_simulate_opts(const tsf_model *m, size_t n, size_t npaths, const tsf_xreg *xreg,
                             const tsf_forecast_opts *opts, double *out);

/* One-step-ahead fitted values (in y's units) and innovation residuals (on
 * the model's scale: after --transform, of the transformed series, as
 * forecast's residuals(type = "innovation")) over y; either may be NULL;
 * NaN where y is missing. */
tsf_status tsf_residuals(const tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                         double *fitted, double *resid);

/* Saves a fitted model as safetensors (atomic: temp file + rename). */
tsf_status tsf_save(const tsf_model *m, const char *path);

/* Loads a model saved by tsf_save.  The file is untrusted input: every
 * length and offset is checked. */
tsf_status tsf_load(const char *path, tsf_model **out);

#ifdef __cplusplus
}
#endif
#endif
