/** @file
 * The one interface every model family answers.
 *
 * A model is created from a spec string ("arima(1,1,1)(0,1,1)[12]",
 * "ar(max=10, method=burg)", "auto", "gru(hidden=64)", ...), fitted to a
 * series, and then answers exact log-likelihoods, forecasts, simulations
 * and streaming updates.  Series are double arrays with NaN for missing
 * values.
 *
 * Rules that hold for every function below unless its comment says
 * otherwise:
 * - A NULL pointer where the function needs one gives ::TSF_EINVAL (never a
 *   crash); the *_free functions accept NULL.
 * - On failure output pointers are set to NULL and the calling thread's
 *   message (tsf_errmsg()) says what went wrong.
 * - Thread safety: distinct handles may be used from distinct threads at
 *   once.  A fitted model may be shared read-only: tsf_model_info,
 *   tsf_loglik, tsf_forecast, tsf_simulate, tsf_residuals, tsf_save and
 *   tsf_state_new may run on it from many threads at once; tsf_fit and
 *   tsf_model_free need it to themselves.
 * - Option structs the caller allocates (::tsf_fit_opts,
 *   ::tsf_forecast_opts) begin with their size; structs the library
 *   allocates may gain fields at their end; ::tsf_xreg and ::tsf_fit_info
 *   keep their 1.0 layout (docs/embedding.md). */
#ifndef TSF_MODEL_H
#define TSF_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "time.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A model: opaque handle made by tsf_model_new() or tsf_load(), freed by
 * tsf_model_free(). */
typedef struct tsf_model tsf_model;

/** Regressors: k columns of rows values each, column j at x + j*ld.  The
 * caller owns the arrays; the library reads them during the call only. */
typedef struct {
    size_t k;                 /**< number of regressors (0: none) */
    const double *x;          /**< the values, column-major */
    size_t ld;                /**< rows of each column (the stride between columns) */
    const char *const *names; /**< k names, or NULL ("xreg1", ...) */
} tsf_xreg;

/** Estimation method of ARIMA models. */
typedef enum {
    TSF_METHOD_DEFAULT = 0, /**< the family's default: css-ml for arima */
    TSF_METHOD_CSS_ML,      /**< conditional sum of squares for the start, then exact ML */
    TSF_METHOD_ML,          /**< exact maximum likelihood (Kalman filter) */
    TSF_METHOD_CSS          /**< conditional sum of squares only */
} tsf_method;

/** Transform applied to the series before fitting (its Jacobian is added to
 * likelihoods, forecasts are mapped back). */
typedef enum {
    TSF_TRANSFORM_NONE = 0,    /**< none */
    TSF_TRANSFORM_LOG,         /**< natural logarithm */
    TSF_TRANSFORM_BOXCOX,      /**< Box-Cox with tsf_fit_opts.lambda */
    TSF_TRANSFORM_BOXCOX_AUTO  /**< Box-Cox, lambda by Guerrero's method at fit time */
} tsf_transform;

/** Where neural networks run. */
typedef enum {
    TSF_DEVICE_AUTO = 0, /**< the GPU when one is usable, else the CPU */
    TSF_DEVICE_CPU,      /**< the CPU */
    TSF_DEVICE_CUDA      /**< an NVIDIA GPU (::TSF_ENODEV when none) */
} tsf_device;

/** Arithmetic of neural training on a GPU. */
typedef enum {
    TSF_PRECISION_FP32 = 0, /**< single precision */
    TSF_PRECISION_TF32,     /**< TF32 tensor cores for matrix products */
    TSF_PRECISION_BF16      /**< bfloat16 matrix products */
} tsf_precision;

/** Options of a fit.  Initialise with tsf_fit_opts_init() (or zero the whole
 * struct), then set what you need: zero means "the default" everywhere.
 *
 * Room to grow: size is sizeof(tsf_fit_opts) of the header the caller was
 * compiled with (tsf_fit_opts_init() sets it; 0 means the 1.0 layout).  New
 * fields are only ever appended, so a program built against an older header
 * keeps working with a newer library, which reads just the fields the
 * program knows; a newer program on an older library gets ::TSF_EUNSUP if
 * it sets a field that library lacks, ::TSF_EINVAL for a size below the 1.0
 * layout (docs/embedding.md). */
typedef struct {
    size_t size;           /**< sizeof(tsf_fit_opts), or 0 for the 1.0 layout */
    tsf_method method;     /**< ARIMA estimation method */
    int include_mean;      /**< -1: no mean; 0: R's default (mean when d+D=0); 1: force */
    int include_drift;     /**< 1: drift term (d+D = 1) */
    int trend;             /**< 1: regressor 1..n named "xreg" when alone, as R's xreg=1:n */
    int period;            /**< 0: from the spec or the series (see tsf_fit()) */
    tsf_transform transform; /**< transform of the series */
    double lambda;         /**< Box-Cox lambda for ::TSF_TRANSFORM_BOXCOX */
    int epochs;            /**< neural training: passes over the data (0: default) */
    int batch;             /**< neural training: windows per step (0: default) */
    double lr;             /**< neural training: learning rate (0: default) */
    uint64_t seed;         /**< neural training: random seed */
    int threads;           /**< 0: library default */
    tsf_device device;     /**< neural: where to train */
    tsf_precision precision; /**< neural: GPU arithmetic */
    int verbose;           /**< neural: report progress through progress() */
    /** Progress callback of neural training (called on the fitting thread);
     * may be NULL. */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;    /**< passed to progress() */
    /** Data-parallel neural training over nshards processes (docs/neural.md,
     * "Data-parallel training"): every process draws the same windows and
     * computes the gradient of those b with b % nshards == shard; after
     * each batch allreduce(allreduce_ctx, buf, n) must replace the n
     * doubles of buf by their sum over the processes (each calls it the
     * same number of times) and return 0 (nonzero stops the fit with
     * ::TSF_EIO).  nshards 0 or 1: one process, allreduce unused. */
    int shard;
    int nshards;           /**< processes of a data-parallel fit (0, 1: none) */
    /** Sums buf (n doubles) over the processes in place; 0 on success. */
    int (*allreduce)(void *ctx, double *buf, size_t n);
    void *allreduce_ctx;   /**< passed to allreduce() */
} tsf_fit_opts;

/** How tsf_forecast() conditions on given future values (scenario
 * forecasts, docs/conditioning.md). */
typedef enum {
    TSF_CONDITIONING_DEFAULT = 0, /**< exact where the model allows it, else SMC */
    TSF_CONDITIONING_EXACT,       /**< Kalman models: the given values enter as observations */
    TSF_CONDITIONING_SMC          /**< sequential Monte Carlo through the streaming state */
} tsf_conditioning;

/** How sampling-based (neural) forecasts draw their paths; the same seed
 * gives the same paths either way (docs/neural.md, "Sampling"). */
typedef enum {
    TSF_SAMPLER_AUTO = 0,  /**< parallel where it is measured faster, else ancestral */
    TSF_SAMPLER_ANCESTRAL, /**< one step at a time, each sample the next input */
    TSF_SAMPLER_PARALLEL   /**< fixed-point iteration over all steps (transformer, wavenet) */
} tsf_sampler;

/** Forecast options.  Initialise with tsf_forecast_opts_init() (or zero the
 * whole struct); size follows the rule of ::tsf_fit_opts.
 *
 * Scenario forecasts: ngiven future values known in advance, the value
 * given_value[i] at step given_step[i] (1-based, at most h, distinct;
 * values finite, in y's units).  The forecast of the other steps is
 * conditional on them; the given steps come back with their value, se 0
 * and lower = upper = the value.  Exact for ar, arima and auto;
 * ::TSF_CONDITIONING_SMC (the default for other families) uses `samples`
 * particles (0: 1000), seeded by `seed`, and fills the result's ess; a
 * family whose states cannot be copied and sampled answers ::TSF_EUNSUP
 * (docs/conditioning.md). */
typedef struct {
    size_t size;                 /**< sizeof(tsf_forecast_opts), or 0 for the 1.0 layout */
    const tsf_xreg *xreg_future; /**< h rows of future regressors, when fitted with xreg */
    uint64_t seed;               /**< sampling-based models (neural, SMC) */
    size_t samples;              /**< sample paths or particles; 0 = model default */
    int biasadj;                 /**< back-transformed mean instead of median */
    size_t ngiven;               /**< number of given future values (0: none) */
    const size_t *given_step;    /**< ngiven steps, 1-based; read during the call only */
    const double *given_value;   /**< ngiven values; read during the call only */
    tsf_conditioning conditioning; /**< how to condition on them */
    /** neural models: how paths are drawn (0 = auto); ::TSF_SAMPLER_PARALLEL
     * with a gru or lstm, or with a streaming state: ::TSF_EUNSUP */
    tsf_sampler sampler;
    /** global models (tsf_fit_global()): the id of the series forecast,
     * one of those it was fitted on (required there); NULL otherwise */
    const char *series;
} tsf_forecast_opts;

/** A forecast, allocated by the library (tsf_forecast(),
 * tsf_state_forecast()) and freed with tsf_forecast_free(). */
typedef struct {
    size_t h;       /**< steps */
    size_t nlevels; /**< interval levels */
    double *mean;   /**< h point forecasts */
    double *se;     /**< h standard errors, NaN when not defined (e.g. after a transform) */
    double *levels; /**< nlevels levels, in percent (80, 95) */
    double *lower;  /**< nlevels * h lower bounds: level i at lower + i*h */
    double *upper;  /**< nlevels * h upper bounds, as lower */
    /** 1 when the predictive distribution of each step is exactly
     * N(mean, se^2) (ARIMA, AR, theta, the additive-season ETS forms); 0 when
     * it is known only through the intervals (sample-based neural
     * forecasts, transforms, mixtures). */
    int normal;
    /** Sequential Monte Carlo only (NULL otherwise): h values, the
     * effective sample size of the particles after each given step (NaN at
     * the other steps). */
    double *ess;
} tsf_forecast_result;

/** Sets *o to the defaults (all zero) with o->size = sizeof *o.  NULL is
 * harmless.
 * @par Thread safety
 * Writes *o only. */
TSF_API void tsf_fit_opts_init(tsf_fit_opts *o);

/** Sets *o to the defaults (all zero) with o->size = sizeof *o.  NULL is
 * harmless.
 * @par Thread safety
 * Writes *o only. */
TSF_API void tsf_forecast_opts_init(tsf_forecast_opts *o);

/** Frees a forecast made by tsf_forecast() or tsf_state_forecast() and its
 * arrays.  NULL is harmless. */
TSF_API void tsf_forecast_free(tsf_forecast_result *fc);

/** What a fitted model reports (tsf_model_info()).  Pointers stay valid
 * while the model lives and is not refitted; they belong to the model.
 * The caller allocates this struct, so its layout is fixed from the 1.0
 * ABI baseline (abi/libtsf.abi) on: later values come through new
 * functions, not new fields. */
typedef struct {
    const char *model;         /**< "ARIMA(1,1,1)(0,1,1)[12]", "AR(3)", ... */
    int order[3];              /**< p, d, q (AR: p, 0, 0) */
    int seasonal[3];           /**< P, D, Q */
    int period;                /**< the period the fit used */
    size_t ncoef;              /**< number of coefficients */
    const char *const *coef_names; /**< R's names: ar1.. ma1.. sar1.. sma1.. intercept drift */
    const double *coef;        /**< ncoef estimates */
    const double *se;          /**< ncoef standard errors, NaN where not available */
    double sigma2;             /**< innovation variance (ar: var_pred) */
    double mean;               /**< ar(): the series mean subtracted; NaN otherwise */
    double loglik;             /**< log-likelihood, in the data's own units (transform
                                    Jacobian added), as aic, aicc and bic */
    double aic;                /**< Akaike's information criterion */
    double aicc;               /**< AIC corrected for small samples (+inf when undefined) */
    double bic;                /**< Schwarz's Bayesian information criterion */
    size_t nobs;               /**< observations used by the likelihood */
    int converged;             /**< 1 when the optimiser converged */
    double fit_seconds;        /**< wall-clock time of the fit */
    size_t ntrace;             /**< entries of the selection trace */
    /** Trace of the selection: ar() AIC per order (labels "0".."K", values
     * AIC - min AIC, as R); auto: models tried with their AICc. */
    const char *const *trace_labels;
    const double *trace_values; /**< ntrace values, see trace_labels */
    double lambda;             /**< Box-Cox lambda used (NaN when none) */
    const double *se_robust;   /**< robust (sandwich) s.e. per coefficient, NULL when the
                                    family has none (garch: Bollerslev-Wooldridge) */
    double persistence;        /**< garch: sum alpha + sum beta (+ sum gamma / 2); NaN
                                    otherwise */
} tsf_fit_info;

/** The arithmetic a fitted neural model was trained in: the
 * tsf_fit_opts.precision of its fit, or the record of its model file
 * (files written before the record: ::TSF_PRECISION_FP32).  Its weights,
 * likelihood, forecasts and streaming are fp32 whatever it was trained in.
 * @return ::TSF_OK; ::TSF_EINVAL when m or out is NULL, m is not a neural
 * model or is not fitted.
 * @par Thread safety
 * Reads m only. */
TSF_API tsf_status tsf_model_precision(const tsf_model *m, tsf_precision *out);

/** "fp32", "tf32" or "bf16"; NULL for a value that is not a ::tsf_precision.
 * A static string.
 * @par Thread safety
 * Thread-safe. */
TSF_API const char *tsf_precision_name(tsf_precision p);

/** Creates an unfitted model from a spec.
 * @return ::TSF_OK; ::TSF_EPARSE with a message that quotes the spec and
 * points at the offending text; ::TSF_EINVAL (NULL argument); ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_model_free(). */
TSF_API tsf_status tsf_model_new(const char *spec, tsf_model **out);

/** Frees a model; NULL is harmless.  States made from it stay usable (they
 * keep their own copy of what they need). */
TSF_API void tsf_model_free(tsf_model *m);

/** The spec text the model was created from ("" for NULL).  Owned by the
 * model. */
TSF_API const char *tsf_model_spec(const tsf_model *m);

/** Family name ("ar", "arima", "auto", "gru", ...; "" for NULL).  A static
 * string. */
TSF_API const char *tsf_model_family(const tsf_model *m);

/** 1 when the model is a neural network or a seed ensemble of networks
 * (`gru(ensemble=3)`, whose family is "combo"), else 0 (also for NULL). */
TSF_API int tsf_model_is_neural(const tsf_model *m);

/** Options a family reads: bits of tsf_model_reads(). */
typedef enum {
    TSF_READS_METHOD = 1u << 0,   /**< tsf_fit_opts.method (arima, auto) */
    TSF_READS_MEAN = 1u << 1,     /**< tsf_fit_opts.include_mean (ar, arima, auto, garch) */
    TSF_READS_DRIFT = 1u << 2,    /**< tsf_fit_opts.include_drift (arima) */
    TSF_READS_TRAINING = 1u << 3, /**< epochs, batch, lr, device, precision (neural) */
    TSF_READS_SAMPLER = 1u << 4   /**< tsf_forecast_opts.sampler (neural) */
} tsf_reads;

/** The options of ::tsf_fit_opts and ::tsf_forecast_opts that the model's
 * family reads, as a mask of ::tsf_reads bits (a combo: what any of its
 * members reads; 0 for NULL), so that a caller can refuse an option the
 * model would ignore (the tsf program does: no option is silently ignored).
 * Options every family reads (period, transform, seed, ...) have no bit.
 * @par Thread safety
 * Reads m only. */
TSF_API unsigned tsf_model_reads(const tsf_model *m);

/** Fits the model to y[0..n) (NaN = missing; infinities are refused).
 * @param xreg regressors of the n rows, or NULL.
 * @param series_period the data's period (e.g. tsf_frame.period), 0 when
 * unknown.  The period used is opts->period when > 0, else the spec's [s],
 * else series_period, else 1.
 * @param opts options, or NULL for the defaults.
 * @return ::TSF_OK; ::TSF_EINVAL (bad argument or data), ::TSF_EDOMAIN
 * (series too short, non-positive data under a log transform),
 * ::TSF_EDEGENERATE, ::TSF_ENOCONV, ::TSF_EUNSUP (e.g. regressors to a
 * family without them), ::TSF_ENODEV, ::TSF_ENOMEM.  On failure the model
 * is unfitted.
 * @par Ownership
 * y, xreg and opts are read during the call only.
 * @par Thread safety
 * Needs m to itself. */
TSF_API tsf_status tsf_fit(tsf_model *m, const double *y, size_t n, const tsf_xreg *xreg,
                           int series_period, const tsf_fit_opts *opts);

/** Fits one global model to nseries series ys[k][0..ns[k]) (neural
 * families; the classical families take nseries == 1).  Period and options
 * as tsf_fit().
 * @return as tsf_fit(); ::TSF_EUNSUP for several series to a classical
 * family. */
TSF_API tsf_status tsf_fit_many(tsf_model *m, const double *const *ys, const size_t *ns,
                                size_t nseries, int series_period, const tsf_fit_opts *opts);

/** Fits one global neural model to nseries series ys[k][0..ns[k]), each
 * with its own scale (its mean |y|, whose log the network reads too) and,
 * with the spec key embed=D, a learned D-wide series embedding
 * (docs/neural.md, "Global models").  ids[k] names series k (non-NULL,
 * distinct; copied into the model and its file); tsf_forecast() then
 * needs ::tsf_forecast_opts.series.  Period and options as tsf_fit().
 * A neural spec without the key ensemble=K trains an ensemble of 3
 * networks (seeds seed, seed+1, seed+2; m then is that combination and
 * tsf_model_spec() says ensemble=3); ensemble=1 trains one (docs/neural.md,
 * "Ensembles").
 * @return as tsf_fit(); ::TSF_EUNSUP for a classical family or a
 * transform, ::TSF_EINVAL for a missing or repeated id.
 * @par Thread safety
 * Needs m to itself. */
TSF_API tsf_status tsf_fit_global(tsf_model *m, const double *const *ys, const size_t *ns,
                                  const char *const *ids, size_t nseries, int series_period,
                                  const tsf_fit_opts *opts);

/** tsf_fit_global() with regressors: xregs[k] holds the regressors of
 * series k (ns[k] rows each, the same columns for every series; NULL
 * xregs: none, as tsf_fit_global()).  The network conditions on them as a
 * single-series fit does (tsf_fit()); each column is centred and scaled
 * with its mean and standard deviation pooled over the rows of all series,
 * stored in the model.  tsf_forecast() of a series then takes its rows as
 * xreg and its future rows as ::tsf_forecast_opts.xreg_future.
 * @return as tsf_fit_global(); ::TSF_EINVAL when a series has another
 * number of regressors (or none) or a value is missing or infinite;
 * ::TSF_EUNSUP with opts->trend or for a combination.
 * @par Ownership
 * Everything is read during the call only.
 * @par Thread safety
 * Needs m to itself. */
TSF_API tsf_status tsf_fit_global_x(tsf_model *m, const double *const *ys, const size_t *ns,
                                    const tsf_xreg *const *xregs, const char *const *ids,
                                    size_t nseries, int series_period, const tsf_fit_opts *opts);

/** 1 when tsf_fit_global() applies to m: a neural model, or a combination
 * with a neural member (which is then trained on all series while the
 * others are fitted to each series as it is forecast); 0 otherwise and
 * for NULL.
 * @par Thread safety
 * Reads m only. */
TSF_API int tsf_model_can_fit_global(const tsf_model *m);

/** Summary of a fitted model into *info (see ::tsf_fit_info for the
 * lifetime of its pointers).
 * @return ::TSF_OK; ::TSF_EINVAL when m is not fitted or an argument is
 * NULL; ::TSF_EUNSUP. */
TSF_API tsf_status tsf_model_info(const tsf_model *m, tsf_fit_info *info);

/** Exact log p(y[start..n) | y[0..start)) in the units of y under the fitted
 * parameters, into *ll.  Missing values (NaN) are skipped, not imputed.
 * @param xreg the regressors of all n rows when the model was fitted with
 * some, else NULL.
 * @return ::TSF_OK; ::TSF_EINVAL (not fitted, start > n, NULL argument, bad
 * data or regressors), ::TSF_EDOMAIN, ::TSF_EUNSUP, ::TSF_ENOMEM. */
TSF_API tsf_status tsf_loglik(const tsf_model *m, const double *y, size_t n,
                              const tsf_xreg *xreg, size_t start, double *ll);

/** Forecasts h steps after y[0..n) with intervals at the levels (percent,
 * in (0,100); nlevels may be 0).
 * @param opts options (future regressors, sampling), or NULL.
 * @return ::TSF_OK; ::TSF_EINVAL (not fitted, h == 0, a level outside
 * (0,100), missing future regressors, NULL argument), ::TSF_EUNSUP,
 * ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_forecast_free(). */
TSF_API tsf_status tsf_forecast(const tsf_model *m, const double *y, size_t n,
                                const tsf_xreg *xreg, size_t h, const double *levels,
                                size_t nlevels, const tsf_forecast_opts *opts,
                                tsf_forecast_result **out);

/** Value-at-risk and expected shortfall of the returns after a series
 * (tsf_risk()), as positive numbers for losses: at level L (percent, e.g.
 * 99), VaR is minus the (100 - L)% quantile of the return and ES minus its
 * mean below that quantile.  Entry k (0-based) of a level's row is for the
 * aggregate return r[n] + ... + r[n+k].  Allocated by the library, freed
 * with tsf_risk_free(). */
typedef struct {
    size_t h;       /**< steps */
    size_t nlevels; /**< levels */
    double *levels; /**< nlevels levels, percent */
    double *var;    /**< nlevels * h VaR values: level i at var + i*h */
    double *es;     /**< nlevels * h expected shortfalls, as var */
} tsf_risk_result;

/** Frees a risk result made by tsf_risk() and its arrays.  NULL is
 * harmless. */
TSF_API void tsf_risk_free(tsf_risk_result *rk);

/** Risk of the next h returns after y[0..n) under a fitted volatility model
 * (garch): one step ahead in closed form (Gaussian or Student-t), the
 * aggregates from opts->samples simulated paths (default 10000) seeded by
 * opts->seed.
 * @param levels nlevels levels in percent, each in (50, 100).
 * @param opts options (samples, seed), or NULL for the defaults.
 * @return ::TSF_OK; ::TSF_EUNSUP for families without a risk measure;
 * ::TSF_EINVAL for a level outside (50, 100), h == 0, an unfitted model or
 * a NULL argument; ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_risk_free().
 * @par Thread safety
 * Reads m: safe from many threads at once for distinct outputs. */
TSF_API tsf_status tsf_risk(const tsf_model *m, const double *y, size_t n, size_t h,
                            const double *levels, size_t nlevels,
                            const tsf_forecast_opts *opts, tsf_risk_result **out);

/** Simulates npaths independent series of length n from the fitted model
 * (stationary start; for integrated models the start of the integrated
 * part is zero) into out, which holds npaths*n values: path k at out + k*n.
 * @return ::TSF_OK; ::TSF_EINVAL (not fitted, NULL out, a model with user
 * regressors: use tsf_simulate_x()), ::TSF_EUNSUP, ::TSF_ENOMEM.
 * @par Ownership
 * out belongs to the caller. */
TSF_API tsf_status tsf_simulate(const tsf_model *m, size_t n, size_t npaths, uint64_t seed,
                                double *out);

/** tsf_simulate() for a regression with ARIMA errors fitted with user
 * regressors: xreg holds their n rows (the paths are X beta plus simulated
 * errors).  Return statuses as tsf_simulate(). */
TSF_API tsf_status tsf_simulate_x(const tsf_model *m, size_t n, size_t npaths, uint64_t seed,
                                  const tsf_xreg *xreg, double *out);

/** tsf_simulate_x() with the seed and, for neural models, the sampler of
 * opts (opts NULL: seed 0, auto; the other fields are ignored).
 * @return the statuses of tsf_simulate_x(), and ::TSF_EUNSUP for
 * ::TSF_SAMPLER_PARALLEL with a gru or lstm.  Thread safety as
 * tsf_simulate(). */
TSF_API tsf_status tsf_simulate_opts(const tsf_model *m, size_t n, size_t npaths,
                                     const tsf_xreg *xreg, const tsf_forecast_opts *opts,
                                     double *out);

/** One-step-ahead fitted values (in y's units) and innovation residuals (on
 * the model's scale: after a transform, of the transformed series, as
 * forecast's residuals(type = "innovation")) over y[0..n), into the
 * caller's arrays of n values; either may be NULL; NaN where y is missing.
 * @return ::TSF_OK; ::TSF_EINVAL, ::TSF_EUNSUP, ::TSF_ENOMEM. */
TSF_API tsf_status tsf_residuals(const tsf_model *m, const double *y, size_t n,
                                 const tsf_xreg *xreg, double *fitted, double *resid);

/** Fourier terms of one seasonal period, as R's forecast::fourier(): for
 * k = 1..K the columns sin(2 pi k t / period) ("S<k>-<period>") and
 * cos(2 pi k t / period) ("C<k>-<period>"), in that order, where row i is
 * time t = t0 + i + 1 (t0 = 0 for a series' own rows, t0 = n for the h
 * rows after a series of n).  When 2k = period the sine (identically 0)
 * is left out, so there are 2K or 2K - 1 columns.
 * @param period the period, > 1 (need not be whole: 52.18 weeks)
 * @param K sine/cosine pairs, 1 <= K <= period / 2
 * @param x column j written at x + j*ld, rows [0, n); NULL: count only
 * @param names when not NULL, column j's name into names[j] (24 bytes each)
 * @param ncols receives the number of columns (may be NULL)
 * @return ::TSF_OK; ::TSF_EINVAL (period <= 1 or not finite, K < 1, K >
 * period / 2, ld < n with x given).
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_fourier(double period, int K, size_t t0, size_t n, double *x, size_t ld,
                               char (*names)[24], size_t *ncols);

/** Most columns tsf_calendar() writes. */
#define TSF_CALENDAR_MAX 40

/** Calendar dummies of the grid steps k0 .. k0+n-1 of a time axis (steps
 * at or after axis->n are future ones), chosen by its interval
 * (docs/models.md, "Calendar terms"); each factor has its first level as
 * the baseline, left out:
 * - below one day (date-times): hour of day (h1..h23) and day of week
 *   (Tue..Sun);
 * - days: day of week (Tue..Sun), business days Tue..Fri;
 * - weeks, months: month of year (Feb..Dec); quarters: Q2..Q4.
 * Date-times written with an offset are taken in that local time.
 * @param x column j at x + j*ld, rows [0, n); NULL: count only
 * @param names when not NULL, the column names (24 bytes each)
 * @param ncols receives the number of columns (at most ::TSF_CALENDAR_MAX)
 * @return ::TSF_OK; ::TSF_EINVAL (stamps that are not dates: text labels,
 * indices, years; a NULL argument; ld < n with x given).
 * @par Thread safety
 * Pure function. */
TSF_API tsf_status tsf_calendar(const tsf_time_axis *axis, int64_t k0, size_t n, double *x,
                                size_t ld, char (*names)[24], size_t *ncols);

/** The user regressors a fitted neural model (gru, lstm, transformer,
 * wavenet) takes, in the order of the fit: *k of them, named (*names)[j]
 * (the tsf_xreg names at fit time, "xreg1".. when none were given).
 * @return ::TSF_OK (k = 0 for a model fitted without); ::TSF_EINVAL (not
 * fitted, NULL argument); ::TSF_EUNSUP for the other families (their
 * regressors are among tsf_model_info()'s coefficient names).
 * @par Ownership
 * The names belong to the model and live as long as it.
 * @par Thread safety
 * Reads m only. */
TSF_API tsf_status tsf_model_regressors(const tsf_model *m, size_t *k,
                                        const char *const **names);

/** Saves a fitted model as safetensors, atomically (a temporary file in the
 * same directory, fsync, rename: path holds the old file or the whole new
 * one).
 * @return ::TSF_OK; ::TSF_EINVAL (not fitted, NULL argument), ::TSF_EUNSUP
 * (family without model files), ::TSF_EIO, ::TSF_ENOMEM.
 * @par Thread safety
 * Reads m; concurrent saves to one path leave one whole file. */
TSF_API tsf_status tsf_save(const tsf_model *m, const char *path);

/** Loads a model saved by tsf_save().  The file is untrusted input: every
 * length and offset is checked.
 * @return ::TSF_OK; ::TSF_EIO, ::TSF_EPARSE (not a tsf model file, or a
 * damaged one), ::TSF_EINVAL, ::TSF_ENOMEM.
 * @par Ownership
 * The caller frees *out with tsf_model_free(). */
TSF_API tsf_status tsf_load(const char *path, tsf_model **out);

#ifdef __cplusplus
}
#endif
#endif
