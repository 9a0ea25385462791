/* The networks: parameter layout (one buffer), activation arena, the
 * training forward/backward over a batch of windows, and the incremental
 * step (RNN hidden state / transformer KV cache) used by the likelihood,
 * streaming and sampling.  Every op runs through a tsf_nn_backend. */
#ifndef TSF_NEURAL_NET_H
#define TSF_NEURAL_NET_H

#include <stddef.h>
#include <stdint.h>
#include "tsf/error.h"
#include "backend.h"

typedef enum { TSF_NN_GRU = 0, TSF_NN_LSTM, TSF_NN_TRANSFORMER } tsf_nn_arch;

#define TSF_NN_MAX_LAYERS 8
#define TSF_NN_MAX_TENSORS (4 + 12 * TSF_NN_MAX_LAYERS + 4)

typedef struct {
    tsf_nn_arch arch;
    tsf_nn_head head;
    int hidden;  /* H (RNN) or d (transformer) */
    int layers;
    int heads;   /* transformer attention heads */
    int context; /* training window; transformer attention window */
    int period;  /* > 1: the value lagged by period is an input too */
} tsf_nn_config;

typedef struct {
    char name[32];
    size_t off;     /* into params */
    size_t ndim;
    size_t shape[2];
} tsf_nn_tensor;

typedef struct {
    size_t w_ih, b_ih, w_hh, b_hh;                      /* RNN layer */
    size_t ln1w, ln1b, wqkv, bqkv, wo, bo, ln2w, ln2b;  /* transformer block */
    size_t wfc, bfc, wpr, bpr;
} tsf_nn_layer_off;

typedef struct tsf_nn {
    tsf_nn_config cfg;
    const tsf_nn_backend *be;
    size_t nin;     /* input features per position */
    size_t nparams;
    float *params;
    size_t ntens;
    tsf_nn_tensor tens[TSF_NN_MAX_TENSORS];
    tsf_nn_layer_off lo[TSF_NN_MAX_LAYERS];
    size_t w_in, b_in, lnf_w, lnf_b, w_out, b_out;
} tsf_nn;

/* Builds the layout and allocates params (zero) on the CPU backend. */
tsf_status tsf_nn_new(const tsf_nn_config *cfg, tsf_nn **out);
/* The same on backend be: params, activation arenas and run states are
 * then be's memory (device memory for CUDA, allocated through be->alloc
 * once, never per step); x, y and o of the calls below stay host arrays,
 * grads is be's memory. */
tsf_status tsf_nn_new_on(const tsf_nn_config *cfg, const tsf_nn_backend *be, tsf_nn **out);
void tsf_nn_free(tsf_nn *nn);
/* Random initialisation (PyTorch's RNN init, GPT-2's for the transformer). */
tsf_status tsf_nn_init(tsf_nn *nn, uint64_t seed);

/* Input features of one position from the previous scaled value and the
 * one lagged by period (NaN = missing or before the start):
 * [prev, prev missing, lag, lag missing] (the last two when period > 1). */
void tsf_nn_input(const tsf_nn *nn, double prev, double lag, float *x);

/* Training pass over B windows of T positions. */
typedef struct tsf_nn_acts tsf_nn_acts;
tsf_status tsf_nn_acts_new(const tsf_nn *nn, size_t B, size_t T, tsf_nn_acts **out);
void tsf_nn_acts_free(tsf_nn_acts *a);
/* x (B,T,nin), y (B,T) (NaN masked) -> sum of nll; the head outputs o
 * (B,T,K) are copied out when o != NULL.  With grads != NULL the backward
 * pass accumulates weight * d(sum nll)/d params into grads (nparams). */
double tsf_nn_forward_backward(const tsf_nn *nn, tsf_nn_acts *a, const float *x, const float *y,
                               size_t B, size_t T, float *o, float *grads, float weight);

/* Incremental evaluation of B sequences, one position at a time. */
typedef struct tsf_nn_run tsf_nn_run;
tsf_status tsf_nn_run_new(const tsf_nn *nn, size_t B, tsf_nn_run **out);
void tsf_nn_run_free(tsf_nn_run *r);
/* x (B,nin) -> o (B,K) for the next position. */
void tsf_nn_run_step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o);
/* dst (B sequences) := B copies of src's sequence 0. */
void tsf_nn_run_broadcast(const tsf_nn *nn, tsf_nn_run *dst, const tsf_nn_run *src);
tsf_status tsf_nn_run_clone(const tsf_nn *nn, const tsf_nn_run *src, tsf_nn_run **out);

/* Per-architecture parts (net_rnn.c, net_transformer.c). */
double tsf_nn_rnn_fb(const tsf_nn *nn, tsf_nn_acts *a, const float *x, const float *y, size_t B,
                     size_t T, float *o, float *grads, float weight);
double tsf_nn_tf_fb(const tsf_nn *nn, tsf_nn_acts *a, const float *x, const float *y, size_t B,
                    size_t T, float *o, float *grads, float weight);
void tsf_nn_rnn_step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o);
void tsf_nn_tf_step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o);

/* Arena and run state internals shared by net*.c. */
struct tsf_nn_acts {
    size_t B, T;
    float *mem;
    size_t size;
    float *stage;    /* device backends: host staging for x, y and o */
    const tsf_nn_backend *be; /* whose memory mem is */
};

struct tsf_nn_run {
    size_t B;
    size_t pos;      /* positions seen */
    float *mem;
    size_t size;
    float *h, *c;    /* RNN: (L,B,H) */
    float *kc, *vc;  /* transformer: (L,B,W,d) */
    float *scratch;  /* per-step temporaries */
    float *dx, *dout; /* device backends: x (B,nin) and o (B,K) in device memory */
    const tsf_nn_backend *be; /* whose memory mem, dx, dout are */
};

/* Floats needed by the arena / run state of each architecture. */
size_t tsf_nn_rnn_acts_floats(const tsf_nn *nn, size_t B, size_t T);
size_t tsf_nn_tf_acts_floats(const tsf_nn *nn, size_t B, size_t T);
size_t tsf_nn_rnn_run_floats(const tsf_nn *nn, size_t B);
size_t tsf_nn_tf_run_floats(const tsf_nn *nn, size_t B);
/* Points h/c/kc/vc/scratch into r->mem. */
void tsf_nn_rnn_run_layout(const tsf_nn *nn, tsf_nn_run *r);
void tsf_nn_tf_run_layout(const tsf_nn *nn, tsf_nn_run *r);

#endif
