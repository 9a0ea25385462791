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

#include <gsl/gsl_rng.h>

#define TSF_NN_MAX_LAYERS 8
#define TSF_NN_MAX_TENSORS 160
#define TSF_NN_MAX_BLOCKS 64  /* blocks of a run state (see state_blocks) */

typedef struct tsf_nn_arch_ops tsf_nn_arch_ops;
typedef struct tsf_nn_head_ops tsf_nn_head_ops;

typedef struct {
    const tsf_nn_arch_ops *arch;
    tsf_nn_head head;
    int hidden;  /* H (RNN), d (transformer), residual channels (wavenet) */
    int layers;
    int heads;   /* transformer attention heads */
    int context; /* training window; transformer attention window */
    int period;  /* > 1: the value lagged by period is an input too */
    int hp[4];   /* architecture-specific hyperparameters (its file says which) */
    int head_n;  /* mixture components / bins; 0: the head's default */
    double head_lo, head_hi; /* binned head: range of the interior bins (scaled units) */
    int nextra;  /* extra input features per position (regressors at the predicted step) */
    double sparsity; /* 0 <= S < 1: fraction of pruned weight blocks (prune.h) */
    /* Global models (train_global.c): nseries > 0 appends the per-series
     * features (the series' standardised log scale, then its embed-wide
     * learned embedding, a tensor of the network) to every input. */
    int embed;   /* embedding width D (spec key embed=, 0: none) */
    int nseries; /* series of a global model (0: not global) */
    /* 1: each position is scaled by the recent level of its own series
     * (global.c, tsf_neural_local_scale): the inputs and the target are
     * divided by the mean |z| of the values before it (whole periods, at
     * least 4), whose log shifts the log-scale feature; 0: by the series'
     * scale only.  Global models of positive series use 1. */
    int lscale;
} tsf_nn_config;

/* A hyperparameter of an architecture: its spec key, the metadata key it
 * is saved under, where it lives in tsf_nn_config, its range and its
 * default (0 with auto = 1: chosen at fit time by the architecture's
 * configure(), shown as "auto" until then). */
typedef struct {
    const char *key, *meta;
    size_t off;
    long lo, hi, def;
    int autoval;
} tsf_nn_hparam;

/* The int field of c a hyperparameter names. */
static inline int *tsf_nn_hp(tsf_nn_config *c, const tsf_nn_hparam *h)
{
    return (int *)(void *)((char *)c + h->off);
}

/* An optional hyperparameter of an architecture (arch->opts): a choice
 * among names (names != NULL: the value is the index) or an integer in
 * [lo, hi], default def.  Unlike tsf_nn_hparam it appears in the model's
 * name and file only when it differs from its default, so the models that
 * leave it alone keep their names and files (a file without it loads the
 * default). */
typedef struct {
    const char *key;           /* spec key and metadata key neural.KEY */
    size_t off;                /* its int field in tsf_nn_config */
    const char *const *names;  /* NULL-terminated, or NULL: an integer */
    long lo, hi, def;
} tsf_nn_opt;

static inline int *tsf_nn_opt_val(tsf_nn_config *c, const tsf_nn_opt *o)
{
    return (int *)(void *)((char *)c + o->off);
}

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
    size_t lncw, lncb, wcq, bcq, wckv, bckv, wco, bco; /* transformer cross-attention */
    size_t aq, abq, ak, av;  /* additive attention: W_q, b_q, W_k (RNN top layer), v */
} tsf_nn_layer_off;

typedef struct tsf_nn {
    tsf_nn_config cfg;
    const tsf_nn_backend *be;
    size_t nin;     /* input features per position */
    size_t xser;    /* where a global model's per-series features start in an input */
    size_t emb;     /* offset of the series embedding tensor (nseries, embed) in params */
    size_t nparams;
    float *params;
    size_t ntens;
    tsf_nn_tensor tens[TSF_NN_MAX_TENSORS];
    tsf_nn_layer_off lo[TSF_NN_MAX_LAYERS];
    size_t w_in, b_in, lnf_w, lnf_b, w_out, b_out;
    size_t w_cx, b_cx;  /* transformer(cross=true): the covariate encoding */
    size_t ftop;    /* width of the features the head layer reads */
    size_t K;       /* raw head outputs per position */
    struct tsf_nn_sparse *sparse; /* block-sparse copies of pruned weights (prune.h), or NULL */
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

/* Input features per position of a configuration (the one place nin is
 * computed): 2, 2 more with a period lag, then cfg.nextra extra ones. */
size_t tsf_nn_cfg_nin(const tsf_nn_config *c);
/* Input features of one position from the previous scaled value and the
 * one lagged by period (NaN = missing or before the start), then a
 * global model's per-series features (filled by its caller, from xser)
 * and the extra features (cfg.nextra values, already scaled; NULL: zeros)
 * last: [prev, prev missing, lag, lag missing, series..., extra...] (lag
 * and lag missing when period > 1). */
void tsf_nn_input(const tsf_nn *nn, double prev, double lag, const double *extra, float *x);
/* Per-series features of a global model: floats from xser on. */
static inline size_t tsf_nn_nser_feat(const tsf_nn_config *c)
{
    return c->nseries > 0 ? 1 + (size_t)c->embed : 0;
}

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
/* x (B,nin) -> one draw z (B, scaled units) from each sequence's next
 * distribution, from its pre-drawn noise e (B, tsf_nn_head_ops.draw's
 * convention); o (B,K) host scratch.  On a device backend with head_draw
 * the draws are made there and only z comes back; otherwise o comes back
 * and the host draws, through the same arithmetic (tsf_cpu_head_draw). */
void tsf_nn_run_step_draw(const tsf_nn *nn, tsf_nn_run *r, const float *x, const double *e,
                          double *z, float *o);
/* dst (B sequences) := B copies of src's sequence 0. */
void tsf_nn_run_broadcast(const tsf_nn *nn, tsf_nn_run *dst, const tsf_nn_run *src);
tsf_status tsf_nn_run_clone(const tsf_nn *nn, const tsf_nn_run *src, tsf_nn_run **out);
/* A run of B sequences with nstate floats of state and nscratch of
 * scratch (zeroed), plus the device staging buffers (the allocation of
 * tsf_nn_run_new, for layouts of other sizes). */
tsf_status tsf_nn_run_alloc(const tsf_nn *nn, size_t B, size_t nstate, size_t nscratch,
                            tsf_nn_run **out);
/* B sequences that all continue src's sequence 0 for at most hmax more
 * positions, for sampling paths (stream.c): with the transformer's
 * shared-prefix layout (prefix_run.c) when the network and backend have
 * it (dense dot-product self-attention, attention_step_shared), else
 * *out = NULL and TSF_OK: broadcast into an ordinary run then.  Such a
 * run is stepped only (never cloned, broadcast or saved). */
/* Whether a transformer configuration has the shared-prefix layout
 * (net_transformer.c: dense dot-product self-attention without cross). */
int tsf_nn_transformer_shares_prefix(const tsf_nn_config *c);
tsf_status tsf_nn_run_fork_shared(const tsf_nn *nn, const tsf_nn_run *src, size_t B, size_t hmax,
                                  tsf_nn_run **out);

/* A backend op an architecture or head needs beyond the common ones:
 * tsf_nn_new_on refuses a backend whose table leaves it NULL, with a
 * one-line error naming the op and the device (ggml's supports_op). */
typedef struct {
    const char *name;
    size_t off; /* offsetof(tsf_nn_backend, op) */
} tsf_nn_need;
#define TSF_NN_NEED(op) {#op, offsetof(tsf_nn_backend, op)}

/* An architecture (net_*.c): everything the shared code (net.c, neural.c,
 * io.c, train.c, stream.c) needs to know about it.  Adding one means its
 * file with one of these, its model type and one line in
 * src/core/registry.c (docs/neural.md, "Adding an architecture"). */
struct tsf_nn_arch_ops {
    const char *name;           /* spec name and neural.arch metadata: "gru" */
    const char *title;          /* display name: "GRU" */
    const tsf_nn_hparam *hp;    /* hyperparameters, key == NULL ends */
    int batch;                  /* training defaults: windows per batch, */
    double lr;                  /* learning rate */
    /* Cross-checks of the hyperparameters (NULL: none): a message into
     * why (len bytes) and the offending key into *key; 0 when fine. */
    int (*check)(const tsf_nn_config *c, char *why, size_t len, const char **key);
    /* Fit-time choices that depend on the period (auto values; NULL: none). */
    void (*configure)(tsf_nn_config *c);
    /* Positions back the output at t depends on, beyond the inputs of t
     * (SIZE_MAX: unbounded, as an RNN's). */
    size_t (*reach)(const tsf_nn_config *c);
    /* Tensors into nn via tsf_nn_add_tensor, the head layer last (it sets
     * nn->ftop, the head's input width, and the head tensors itself are
     * added by net.c). */
    void (*layout)(tsf_nn *nn);
    /* Random initialisation of its tensors (P: host copy, zeroed). */
    void (*init)(tsf_nn *nn, float *P, gsl_rng *r);
    /* Activation arena of a training pass over B windows of T. */
    size_t (*acts_floats)(const tsf_nn *nn, size_t B, size_t T);
    /* x (B,T,nin), y (B,T) -> o (B,T,K); returns sum nll; grads += weight * d/dparams */
    double (*fb)(const tsf_nn *nn, tsf_nn_acts *a, const float *x, const float *y, size_t B,
                 size_t T, float *o, float *grads, float weight);
    /* The run state of B sequences: the first floats of r->mem are the
     * state proper, as blocks of (B, n[j]) floats (returns the number of
     * blocks, fills n when not NULL); this span is what a saved state
     * holds and what broadcast copies.  Scratch follows it. */
    size_t (*state_blocks)(const tsf_nn *nn, size_t *n);
    size_t (*scratch_floats)(const tsf_nn *nn, size_t B);
    /* x (B,nin) -> o (B,K) for position r->pos, updating the state */
    void (*step)(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o);
    const tsf_nn_need *needs;   /* backend ops beyond the common ones (NULL: none) */
    const tsf_nn_opt *opts;     /* optional hyperparameters, key == NULL ends (NULL: none) */
    /* Backend ops that configuration c needs besides (NULL: none). */
    const tsf_nn_need *(*cfg_needs)(const tsf_nn_config *c);
    /* Why a configuration cannot be fitted without regressors (NULL: it
     * can; the function itself NULL: always can). */
    const char *(*needs_x)(const tsf_nn_config *c);
    /* Pruning recipe (sparsity=S, prune.h "Schedule"): where the cubic
     * ramp ends, as a fraction of the optimiser steps (0:
     * TSF_NN_PRUNE_END), and 1 to rescale the rows that lose weights to
     * their earlier L2 norm at every mask update. */
    double prune_end;
    int prune_rescale;
};

extern const tsf_nn_arch_ops tsf_nn_arch_gru, tsf_nn_arch_lstm, tsf_nn_arch_transformer,
    tsf_nn_arch_wavenet;

/* A distributional head (head.c): p(z_t | z_<t) of the scaled value from
 * K raw outputs per position. */
struct tsf_nn_head_ops {
    const char *name;           /* head=NAME */
    const char *nkey;           /* its size key ("components", "bins") or NULL */
    long nlo, nhi, ndef;        /* range and default of that key (0: chosen by prepare) */
    int ranged;                 /* uses head_lo, head_hi (saved with the model) */
    size_t (*k)(const tsf_nn_config *c);
    /* Fit-time choices from the scaled training values z of nseries
     * series (n[k] values each, NaN missing): its auto size, its range
     * (NULL: none). */
    void (*prepare)(tsf_nn_config *c, const double *const *z, const size_t *n, size_t nseries);
    /* Biases of the head layer (K floats, zero on entry), set after the
     * weights are drawn. */
    void (*init_bias)(const tsf_nn_config *c, float *b);
    /* On backend be: o (BT,K), y (BT) (NaN masked) -> nll (BT) and
     * dout = weight * d nll / d o (BT,K) (each may be NULL); returns the
     * sum of nll.  In be's memory. */
    double (*loss)(const tsf_nn_backend *be, const tsf_nn_config *c, float *nll, float *dout,
                   const float *o, const float *y, size_t BT, float weight);
    /* Host: one draw from one position's distribution (o: K floats) as a
     * function of its pre-drawn noise e: one standard normal when
     * normal_noise (the value is mu + sigma e), else one uniform in (0, 1)
     * (the value is the quantile at e).  Continuous in o, so that the
     * fixed-point sampler (sampler.c) converges to the ancestral paths. */
    int normal_noise;
    double (*draw)(const tsf_nn_config *c, const float *o, double e);
    /* Host: the mean and variance of one position's distribution. */
    void (*moments)(const tsf_nn_config *c, const float *o, double *mean, double *var);
    /* Host: the u-quantile (0 < u < 1) of one position's distribution, for
     * the particle hooks (particles.c). */
    double (*quantile)(const tsf_nn_config *c, const float *o, double u);
    const tsf_nn_need *needs;
};

/* The head table entry of h (NULL for an unknown value). */
const tsf_nn_head_ops *tsf_nn_head_get(tsf_nn_head h);
/* NULL-terminated list of the head names, in tsf_nn_head order. */
extern const char *const tsf_nn_head_names[];
/* The head's size: mixture components or bins (0 for the others). */
size_t tsf_nn_head_n(const tsf_nn_config *c);
/* Raw head outputs of a configuration. */
size_t tsf_nn_cfg_k(const tsf_nn_config *c);

/* Appends a tensor (rows, cols; cols 0: a vector) to nn's layout;
 * returns its offset in params. */
size_t tsf_nn_add_tensor(tsf_nn *nn, const char *name, size_t rows, size_t cols);
/* The head's loss on nn's backend (arch fb passes call this). */
double tsf_nn_head_loss(const tsf_nn *nn, float *nll, float *dout, const float *o,
                        const float *y, size_t BT, float weight);
/* Random fills shared by the architectures' init. */
void tsf_nn_fill_uniform(float *p, size_t n, double a, gsl_rng *r);
void tsf_nn_fill_normal(float *p, size_t n, double sd, gsl_rng *r);
void tsf_nn_fill_const(float *p, size_t n, float v);
/* Floats of a run state proper of B sequences (see state_blocks). */
size_t tsf_nn_state_floats(const tsf_nn *nn, size_t B);

/* Carving an arena: with base != NULL, ptr := base + off; off += n.
 * (A first pass with base NULL only counts the floats.) */
#define TSF_NN_TAKE(ptr, n)                                                                   \
    do {                                                                                      \
        if (base) (ptr) = base + off;                                                         \
        off += (n);                                                                           \
    } while (0)

/* Arena and run state internals shared by net*.c. */
struct tsf_nn_acts {
    size_t B, T;
    float *mem;
    size_t size;
    float *stage;    /* device backends: host staging for x, y and o */
    /* With dx != NULL (be's memory, B*T*nin floats; global models with an
     * embedding) fb also writes the gradient of the inputs there: rows in
     * (b,t) order, or (t,b) when the architecture sets dx_tmajor. */
    float *dx;
    int dx_tmajor;
    const tsf_nn_backend *be; /* whose memory mem is */
    /* 1: an inference pass (the parallel sampler's): fb runs the forward
     * ops of tsf_nn_infer_backend, the step's arithmetic, and no backward */
    int infer;
    void *ws;                 /* be's workspace (backend.h), or NULL */
};

/* The products of a pass: an inference pass's (a->infer) through the
 * inference table (tsf_nn_infer_backend: the step's arithmetic); a
 * training pass's through its workspace when its backend keeps one
 * (backend.h, workspace_create), else the plain ops. */
static inline void tsf_nn_mm_forward(const tsf_nn *nn, tsf_nn_acts *a, float *out,
                                     const float *inp, const float *weight, const float *bias,
                                     size_t BT, size_t C, size_t OC)
{
    if (a->infer)
        tsf_nn_infer_backend(nn->be)->matmul_forward(out, inp, weight, bias, BT, C, OC);
    else if (a->ws)
        nn->be->matmul_forward_ws(a->ws, out, inp, weight, bias, BT, C, OC);
    else
        nn->be->matmul_forward(out, inp, weight, bias, BT, C, OC);
}

static inline void tsf_nn_mm_backward(const tsf_nn *nn, tsf_nn_acts *a, float *dinp,
                                      float *dweight, float *dbias, const float *dout,
                                      const float *inp, const float *weight, size_t BT, size_t C,
                                      size_t OC)
{
    if (a->ws)
        nn->be->matmul_backward_ws(a->ws, dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
    else
        nn->be->matmul_backward(dinp, dweight, dbias, dout, inp, weight, BT, C, OC);
}

struct tsf_nn_run {
    size_t B;
    size_t pos;      /* positions seen */
    float *mem;      /* the state proper (architecture's blocks), then scratch */
    size_t size;
    size_t nstate;   /* floats of the state proper */
    float *scratch;  /* mem + nstate: per-step temporaries */
    float *dx, *dout; /* device backends: x (B,nin) and o (B,K) in device memory */
    double *dnoise;   /* device backends with head_draw: the noise e (B), then the draws z (B) */
    const tsf_nn_backend *be; /* whose memory mem, dx, dout are */
    /* Shared-prefix runs (tsf_nn_run_fork_shared; R == 0 otherwise): the
     * B sequences continue one history whose positions p0 .. p0+P-1 are
     * stored once, each sequence's own later positions in rings of R.
     * The transformer's keys and values of layer l of L are then at
     * kp, vp + l P C (P,C) and ks, vs + l R B C (R,B,C), all in mem. */
    size_t p0, P, R;
    float *kp, *vp, *ks, *vs;
};

#endif
