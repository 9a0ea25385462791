/* The neural model families (gru, lstm, transformer, wavenet): the family
 * data behind a tsf_model, and the pieces shared by neural.c, train.c,
 * stream.c, io.c and the architectures' type objects (TSF_NEURAL_TYPE). */
#ifndef TSF_NEURAL_NEURAL_H
#define TSF_NEURAL_NEURAL_H

#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "net.h"

/* Training defaults (docs/neural.md). */
#define TSF_NN_DEFAULT_EPOCHS 30
/* batch size and learning rate: the architecture's (tsf_nn_arch_ops) */
#define TSF_NN_BATCHES_PER_EPOCH 20
#define TSF_NN_PATIENCE 6
#define TSF_NN_CLIP 5.0
#define TSF_NN_WEIGHT_DECAY 1e-4
#define TSF_NN_DEFAULT_SAMPLES 200

typedef struct {
    tsf_nn_config cfg;  /* from the spec; period set by the fit */
    tsf_nn *nn;         /* NULL until fitted */
    double scale;       /* training-time mean |y| (pooled over series) */
    /* regressors (cfg.nextra): each column's centre and scale (training
     * mean and standard deviation, 1 for a constant column) and name */
    double *xcenter, *xscale;
    char **xnames;
    /* training record (saved as metadata) */
    int epochs, batch, epochs_run, best_epoch, threads;
    tsf_precision precision; /* of the training GEMMs (the model itself is fp32) */
    double lr, valid_nll, train_nll;
    uint64_t seed;
    double loglik;      /* exact loglik of the training data, data units */
    size_t nobs;
    char name[160];
    /* global models (global.c; cfg.nseries > 0): each series' id and scale,
     * and the mean and sd of their logs (the log-scale input is standardised) */
    char **ids;
    double *sscale;
    double ls_mu, ls_sd;
} tsf_neural;

tsf_neural *tsf_neural_alloc(const tsf_nn_config *cfg);
/* Validates a spec against arch's hyperparameters and the heads' keys. */
tsf_status tsf_neural_parse(const tsf_spec *s, const tsf_nn_arch_ops *arch, void **impl);
void tsf_neural_free(void *impl);
/* The model's display name, e.g. "GRU(hidden=64, layers=2, context=128, head=gaussian)". */
void tsf_neural_set_name(tsf_neural *m);

/* Trains m->nn (allocated here) on the series, already transformed; xs
 * (NULL: none) the regressors of each series (m->cfg.nextra columns, the
 * scaling already set by tsf_neural_set_x and the fit). */
tsf_status tsf_neural_train(tsf_neural *m, const double *const *ys, const size_t *ns,
                            const tsf_xreg *const *xs, size_t nseries, int period,
                            const tsf_fit_opts *opts);
/* Sets m up for k regressors (k = 0: none): cfg.nextra and zeroed
 * xcenter, xscale (one allocation) and xnames; on allocation failure
 * leaves none (xcenter NULL). */
void tsf_neural_set_x(tsf_neural *m, size_t k);

/* Streaming evaluation of B sequences: the network's run state plus the
 * recent scaled values each sequence needs for its inputs. */
typedef struct {
    const tsf_nn *nn;
    tsf_nn_run *run;
    size_t B, P;      /* sequences; history length max(period, 1) */
    size_t count;     /* values pushed */
    double scale;
    float *sfeat;     /* the per-series inputs of a global model (tsf_nn_nser_feat), or NULL */
    /* cfg.lscale: each sequence's local scale at the next position (B;
     * set with its inputs) and 1 / the model's log-scale sd */
    double *nu, lsd;
    size_t L;         /* cfg.lscale: values the local scale averages (else 0) */
    double *lh;       /* cfg.lscale: (B,L) ring of the last L scaled values */
    double *hist;     /* (B,P) ring of scaled values, NaN = missing */
    float *x, *o;     /* (B,nin), (B,K) */
    /* regressors (cfg.nextra of them): the scaled values at the next
     * position, shared by all sequences, then the scaling (centre, scale:
     * 1 by default; tsf_neural_stream sets the model's), one allocation */
    double *xs, *xcenter, *xscale;
} tsf_nn_stream;

/* A model's streaming state (tsf_state): its own copy of the network and
 * a one-sequence stream. */
typedef struct {
    tsf_nn *nn;
    tsf_nn_stream *s;
} tsf_neural_state;

/* Particle hooks of the type table (src/neural/particles.c): a copy of a
 * state with its own network copy, and one draw of the next value by the
 * head's inverse CDF at u, fed to the state. */
tsf_status tsf_neural_state_clone(const void *st, void **out);
tsf_status tsf_neural_state_sample(void *st, const double *x, size_t k, double u, double *y);

tsf_status tsf_nn_stream_new(const tsf_nn *nn, double scale, size_t B, tsf_nn_stream **out);
void tsf_nn_stream_free(tsf_nn_stream *s);
/* Runs the network one position: s->o holds the head outputs of the next
 * value of every sequence. */
void tsf_nn_stream_predict(tsf_nn_stream *s);
/* The regressors of the next position: x[j*stride], j < cfg.nextra, in
 * data units (scaled here with s->xcenter, s->xscale). */
void tsf_nn_stream_set_x(tsf_nn_stream *s, const double *x, size_t stride);
/* Appends y (B values, data units, NaN = missing). */
void tsf_nn_stream_push(tsf_nn_stream *s, const double *y);
/* Feeds one observation of a single sequence: logp = log p(y | past) in
 * data units (0 when y is NaN); mean receives the predictive mean. */
void tsf_nn_stream_update(tsf_nn_stream *s, double y, double *logp, double *mean);
/* dst (B sequences) := copies of src (one sequence). */
tsf_status tsf_nn_stream_fork(const tsf_nn_stream *src, size_t B, tsf_nn_stream **out);
/* The same on network nn (the same configuration and weights as src's,
 * e.g. a copy that outlives src's). */
tsf_status tsf_nn_stream_fork_on(const tsf_nn_stream *src, const tsf_nn *nn, size_t B,
                                 tsf_nn_stream **out);
/* B copies of src (one sequence) to sample at most h steps from: with the
 * transformer's shared-prefix run state where it has one (the history's
 * keys and values stored once for all paths, tsf_nn_run_fork_shared),
 * else as tsf_nn_stream_fork.  Step it at most h times. */
tsf_status tsf_nn_stream_fork_paths(const tsf_nn_stream *src, size_t B, size_t h,
                                    tsf_nn_stream **out);
/* The noise of one draw of head hd (hd->draw's e).  Every sampler draws
 * it in one order: step by step, within a step path by path. */
double tsf_nn_noise(const tsf_nn_head_ops *hd, gsl_rng *r);
/* Samples h steps of every sequence by ancestral sampling: paths (B,h) in
 * data units. */
tsf_status tsf_nn_stream_sample(tsf_nn_stream *s, size_t h, gsl_rng *r, double *paths);
/* The same with the regressors of the h steps from xf (h rows; NULL:
 * none). */
tsf_status tsf_nn_stream_sample_x(tsf_nn_stream *s, size_t h, const tsf_xreg *xf, gsl_rng *r,
                                  double *paths);
/* The same paths, S of them, from a series y (n values, data units, NaN
 * missing; n may be 0) by fixed-point (Jacobi) iteration over all h
 * steps at once (sampler.c): each iteration is one batched forward pass
 * of the training kind.  Stops when no value changes by more than 1e-6
 * relative, or after max_iter iterations (0: h; it never needs more);
 * *iters (may be NULL) receives the count.  TSF_EUNSUP for an
 * architecture whose reach is unbounded (the RNNs). */
tsf_status tsf_nn_sample_parallel(const tsf_nn *nn, double scale, const double *y, size_t n,
                                  size_t h, size_t S, gsl_rng *r, size_t max_iter,
                                  double *paths, size_t *iters);
/* Whether auto picks the parallel sampler for S paths of h steps after a
 * history of n (docs/neural.md: where it was measured faster). */
int tsf_nn_parallel_pays(const tsf_nn *nn, size_t n, size_t h, size_t S);
/* Mean, sample sd and quantile intervals from paths (N,h). */
/* median != 0: the point forecast (fc->mean) is the paths' median at each
 * step (global models, docs/neural.md "Global models"), else their mean. */
tsf_status tsf_nn_summarise(const double *paths, size_t N, size_t h, int median,
                            tsf_forecast_result *fc);

/* Exact log-likelihood of one series (data units) from position start. */
tsf_status tsf_neural_series_loglik(const tsf_neural *m, const double *y, size_t n, size_t start,
                                    double *ll, double *fitted);
/* The same for series k of a global model (0 otherwise) with the
 * regressors of the n rows (NULL: none; required when the model has them). */
tsf_status tsf_neural_series_loglik_x(const tsf_neural *m, size_t k, const double *y, size_t n,
                                      const tsf_xreg *xreg, size_t start, double *ll,
                                      double *fitted);
/* A stream of B sequences of series k (0 unless global: its scale and
 * inputs) for network nn (m's or a copy) with m's regressor scaling. */
tsf_status tsf_neural_stream(const tsf_neural *m, const tsf_nn *nn, size_t k, size_t B,
                             tsf_nn_stream **out);
/* Checks regressors given to a model with k of them for n rows (NULL
 * allowed only when k == 0): count, rows and finite values. */
tsf_status tsf_neural_check_x(const tsf_neural *m, const tsf_xreg *x, size_t n,
                              const char *what);

/* Global models (global.c). */
/* The regressors' centres and scales (their mean and standard deviation
 * over the rows of every series, pooled) and names into m. */
tsf_status tsf_neural_fit_x(tsf_neural *m, const tsf_xreg *const *xs, const size_t *ns,
                            size_t nseries);
/* Trains a global model (tsf_fit_global, tsf_fit_global_x): per-series
 * scales, ids copied; xregs NULL or each series' regressors. */
tsf_status tsf_neural_fit_global(void *impl, const double *const *ys, const size_t *ns,
                                 const tsf_xreg *const *xregs,
                                 const char *const *ids, size_t nseries, int period,
                                 const tsf_fit_opts *opts);
/* The series of a global model whose id is id (its index into *k); a
 * clear error for NULL or an unknown id.  Non-global models: *k = 0. */
tsf_status tsf_neural_series_index(const tsf_neural *m, const char *id, size_t *k);
/* The per-series inputs of series k (tsf_nn_nser_feat floats; none when not
 * global) with the embedding table emb (nseries, embed; unused when embed 0). */
void tsf_neural_series_feat(const tsf_neural *m, const float *emb, size_t k, float *f);
/* The local scale of a position of a global model (cfg.lscale): the mean
 * |z| of the n values z[0..n) (the series' values of the period before
 * the position, in units of the series' scale; NaN = missing), at least
 * TSF_NN_LSCALE_FLOOR; 1 when none is observed. */
#define TSF_NN_LSCALE_FLOOR 0.1
double tsf_neural_local_scale(const double *z, size_t n);
/* How many values before a position its local scale averages: whole
 * periods P, at least 4 values (yearly: 4, quarterly: 4, monthly: 12). */
static inline size_t tsf_neural_local_len(size_t P)
{
    return P * ((4 + P - 1) / P);
}
/* Sets a global model's per-series scales (mean |y| of each series) and
 * the standardisation of their logs. */
void tsf_neural_global_scales(tsf_neural *m, const double *const *ys, const size_t *ns);
/* The scale of series k (m->scale when not global). */
double tsf_neural_series_scale(const tsf_neural *m, size_t k);
tsf_status tsf_neural_global_save(const tsf_neural *m, tsf_st *doc);
/* Reads the series of a global model (nseries from neural.nseries). */
tsf_status tsf_neural_global_load(tsf_neural *m, const tsf_st *doc);
void tsf_neural_global_free(tsf_neural *m);

/* Persistence (io.c). */
tsf_status tsf_neural_save(const void *impl, tsf_st *doc);
tsf_status tsf_neural_load(const tsf_st *doc, void **impl);

/* The type object functions (neural.c), the same for every architecture. */
tsf_status tsf_neural_fit_many(void *impl, const double *const *ys, const size_t *ns,
                               size_t nseries, int period, const tsf_fit_opts *opts);
tsf_status tsf_neural_fit(void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                          int period, const tsf_fit_opts *opts);
tsf_status tsf_neural_info(const void *impl, tsf_fit_info *fi);
tsf_status tsf_neural_regressors(const void *impl, size_t *k, const char *const **names);
tsf_status tsf_neural_loglik(const void *impl, const double *y, size_t n, const tsf_xreg *xreg,
                             size_t start, double *ll);
tsf_status tsf_neural_forecast(const void *impl, const double *y, size_t n,
                               const tsf_xreg *xreg, size_t h, const double *levels,
                               size_t nlevels, const tsf_forecast_opts *opts,
                               tsf_forecast_result *fc);
tsf_status tsf_neural_simulate(const void *impl, size_t n, size_t npaths, uint64_t seed,
                               const tsf_xreg *xreg, double *out);
tsf_status tsf_neural_simulate_opts(const void *impl, size_t n, size_t npaths,
                                    const tsf_forecast_opts *opts, const tsf_xreg *xreg,
                                    double *out);
tsf_status tsf_neural_residuals(const void *impl, const double *y, size_t n,
                                const tsf_xreg *xreg, double *fitted, double *resid);
tsf_status tsf_neural_state_new(const void *impl, void **out);
tsf_status tsf_neural_state_update(void *p, double y, const double *x, size_t k, double *logp);
tsf_status tsf_neural_state_forecast(void *p, size_t h, const double *levels,
                                     size_t nlevels, const tsf_forecast_opts *opts,
                                     tsf_forecast_result *fc);
void tsf_neural_state_free(void *p);
tsf_status tsf_neural_state_save(const void *p, tsf_st *doc);
tsf_status tsf_neural_state_load(const void *impl, const tsf_st *doc, void **out);

/* The model type of an architecture (in its net_*.c):
 *   static tsf_status parse_x(const tsf_spec *s, void **impl)
 *   { return tsf_neural_parse(s, &tsf_nn_arch_x, impl); }
 *   TSF_NEURAL_TYPE(tsf_x_type, "x", parse_x);
 * and one line for tsf_x_type in src/core/registry.c. */
#define TSF_NEURAL_TYPE(var, nm, parsefn)                                                      \
    const tsf_model_type var = {                                                               \
        .name = nm, .neural = 1, .reads = TSF_READS_TRAINING | TSF_READS_SAMPLER,                \
        .parse = parsefn, .fit = tsf_neural_fit,                      \
        .fit_many = tsf_neural_fit_many, .fit_global = tsf_neural_fit_global,                  \
        .info = tsf_neural_info, .loglik = tsf_neural_loglik, \
        .forecast = tsf_neural_forecast, .simulate = tsf_neural_simulate,                      \
        .simulate_opts = tsf_neural_simulate_opts,                                             \
        .residuals = tsf_neural_residuals, .state_new = tsf_neural_state_new,                  \
        .state_update = tsf_neural_state_update, .state_forecast = tsf_neural_state_forecast,  \
        .state_free = tsf_neural_state_free, .state_save = tsf_neural_state_save,              \
        .state_load = tsf_neural_state_load, .save = tsf_neural_save, .load = tsf_neural_load, \
        .free = tsf_neural_free, .state_clone = tsf_neural_state_clone,                        \
        .state_sample = tsf_neural_state_sample, .regressors = tsf_neural_regressors}

#endif
