/* The neural model families (gru, lstm, transformer): the family data
 * behind a tsf_model, and the pieces shared by neural.c (the type
 * objects), train.c, stream.c and io.c. */
#ifndef TSF_NEURAL_NEURAL_H
#define TSF_NEURAL_NEURAL_H

#include <gsl/gsl_rng.h>
#include "core/internal.h"
#include "net.h"

/* Training defaults (docs/neural.md). */
#define TSF_NN_DEFAULT_EPOCHS 30
#define TSF_NN_DEFAULT_BATCH 32       /* RNN windows per batch */
#define TSF_NN_DEFAULT_BATCH_TF 8     /* transformer: windows are twice as long */
#define TSF_NN_DEFAULT_LR 3e-3
#define TSF_NN_DEFAULT_LR_TF 1e-3
#define TSF_NN_BATCHES_PER_EPOCH 20
#define TSF_NN_PATIENCE 6
#define TSF_NN_CLIP 5.0
#define TSF_NN_WEIGHT_DECAY 1e-4
#define TSF_NN_DEFAULT_SAMPLES 200

typedef struct {
    tsf_nn_config cfg;  /* from the spec; period set by the fit */
    long spec_period;   /* [s] of the spec, 0 when absent */
    tsf_nn *nn;         /* NULL until fitted */
    double scale;       /* training-time mean |y| (pooled over series) */
    /* training record (saved as metadata) */
    int epochs, batch, epochs_run, best_epoch, threads;
    double lr, valid_nll, train_nll;
    uint64_t seed;
    double loglik;      /* exact loglik of the training data, data units */
    size_t nobs;
    char name[96];
} tsf_neural;

tsf_neural *tsf_neural_alloc(const tsf_nn_config *cfg);
void tsf_neural_free(void *impl);
/* The model's display name, e.g. "GRU(hidden=64, layers=2, context=128, head=gaussian)". */
void tsf_neural_set_name(tsf_neural *m);

/* Trains m->nn (allocated here) on the series, already transformed. */
tsf_status tsf_neural_train(tsf_neural *m, const double *const *ys, const size_t *ns,
                            size_t nseries, int period, const tsf_fit_opts *opts);

/* Streaming evaluation of B sequences: the network's run state plus the
 * recent scaled values each sequence needs for its inputs. */
typedef struct {
    const tsf_nn *nn;
    tsf_nn_run *run;
    size_t B, P;      /* sequences; history length max(period, 1) */
    size_t count;     /* values pushed */
    double scale;
    double *hist;     /* (B,P) ring of scaled values, NaN = missing */
    float *x, *o;     /* (B,nin), (B,K) */
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
/* Appends y (B values, data units, NaN = missing). */
void tsf_nn_stream_push(tsf_nn_stream *s, const double *y);
/* Feeds one observation of a single sequence: logp = log p(y | past) in
 * data units (0 when y is NaN); mean receives the predictive mean. */
void tsf_nn_stream_update(tsf_nn_stream *s, double y, double *logp, double *mean);
/* dst (B sequences) := copies of src (one sequence). */
tsf_status tsf_nn_stream_fork(const tsf_nn_stream *src, size_t B, tsf_nn_stream **out);
/* Samples h steps of every sequence by ancestral sampling: paths (B,h) in
 * data units. */
tsf_status tsf_nn_stream_sample(tsf_nn_stream *s, size_t h, gsl_rng *r, double *paths);
/* Mean, sample sd and quantile intervals from paths (N,h). */
tsf_status tsf_nn_summarise(const double *paths, size_t N, size_t h, tsf_forecast_result *fc);

/* Exact log-likelihood of one series (data units) from position start. */
tsf_status tsf_neural_series_loglik(const tsf_neural *m, const double *y, size_t n, size_t start,
                                    double *ll, double *fitted);

/* Persistence (io.c). */
tsf_status tsf_neural_save(const void *impl, tsf_st *doc);
tsf_status tsf_neural_load(const tsf_st *doc, void **impl);

#endif
