/* The neural compute backend: every op the networks run, as a table of
 * function pointers (ggml/llm.c pattern).  src/neural/cpu_*.c is the fp32
 * reference implementation (GEMMs through CBLAS); gpu/ implements the same
 * table kernel by kernel and is tested against it.
 *
 * Conventions (as llm.c): tensors are dense row-major fp32; a weight of a
 * linear map C -> OC is stored (OC, C); "BT" is the number of rows (batch x
 * time); every *_backward ACCUMULATES (+=) into its gradient outputs, and a
 * NULL gradient pointer means "not needed".  Shape comments give the layout
 * of each argument. */
#ifndef TSF_NEURAL_BACKEND_H
#define TSF_NEURAL_BACKEND_H

#include <stddef.h>
#include "attn_pattern.h"

/* Distributional heads: p(y_t | y_<t) from K raw outputs per position. */
typedef enum {
    TSF_NN_HEAD_GAUSSIAN = 0, /* K = 2: mu, sigma = softplus(o1) + SIGMA_MIN */
    TSF_NN_HEAD_STUDENT_T,    /* K = 3: mu, sigma, nu = 2 + softplus(o2) */
    TSF_NN_HEAD_MIXTURE,      /* K = 3M: M Gaussians (mixture_loss) */
    TSF_NN_HEAD_BINNED        /* K = N bins (binned_loss) */
} tsf_nn_head;

#define TSF_NN_SIGMA_MIN 1e-4

/* Geometry of additive attention (the additive_* ops): B sequences of T
 * positions, NH heads of hs features, a causal window of W positions (key
 * j is seen by query t when t - W < j <= t).  Row (b, t) of q, k and v
 * starts at b*sb + t*st (head h at + h*hs), row (b, t) of out and dout at
 * b*ob + t*ot: the transformer's packed qkv (B,T,3C) and the RNN's
 * time-major (T,B,H) states are both such strided views. */
typedef struct {
    size_t B, T, NH, hs, W;
    size_t sb, st, ob, ot;
    int alibi; /* 1: scores get the ALiBi distance bias -m_h (t - j) (Press et al. 2022) */
} tsf_nn_add_geom;

typedef struct tsf_nn_backend {
    const char *name;

    /* inp (BT,C) @ weight(OC,C)^T + bias(OC) -> out (BT,OC); bias may be NULL */
    void (*matmul_forward)(float *out, const float *inp, const float *weight, const float *bias,
                           size_t BT, size_t C, size_t OC);
    /* dout (BT,OC) -> dinp (BT,C), dweight (OC,C), dbias (OC) (each may be NULL) */
    void (*matmul_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, size_t BT, size_t C,
                            size_t OC);

    /* inp (BT,C) -> out (BT,C), mean (BT), rstd (BT); weight, bias (C) */
    void (*layernorm_forward)(float *out, float *mean, float *rstd, const float *inp,
                              const float *weight, const float *bias, size_t BT, size_t C);
    /* dout (BT,C) -> dinp (BT,C), dweight (C), dbias (C) */
    void (*layernorm_backward)(float *dinp, float *dweight, float *dbias, const float *dout,
                               const float *inp, const float *weight, const float *mean,
                               const float *rstd, size_t BT, size_t C);

    /* inp (N) -> out (N), tanh approximation (Hendrycks & Gimpel 2016) */
    void (*gelu_forward)(float *out, const float *inp, size_t N);
    /* dout (N) -> dinp (N) */
    void (*gelu_backward)(float *dinp, const float *inp, const float *dout, size_t N);

    /* a (N) + b (N) -> out (N) (residual connections) */
    void (*residual_forward)(float *out, const float *a, const float *b, size_t N);

    /* GRU cell (Cho et al. 2014, PyTorch's gate order r,z,n):
     * xg (B,3H) = W_i x + b_i, hg (B,3H) = W_h h_prev + b_h, h_prev (B,H)
     * -> h (B,H), gates (B,3H) = r, z, n kept for the backward pass */
    void (*gru_forward)(float *h, float *gates, const float *xg, const float *hg,
                        const float *h_prev, size_t B, size_t H);
    /* dh (B,H) -> dxg (B,3H), dhg (B,3H) (overwritten), dh_prev (B,H) (+=);
     * h_prev, c_prev, dc (the LSTM's) are never NULL: pass zeros at t = 0 */
    void (*gru_backward)(float *dxg, float *dhg, float *dh_prev, const float *dh,
                         const float *gates, const float *hg, const float *h_prev, size_t B,
                         size_t H);

    /* LSTM cell (Hochreiter & Schmidhuber 1997, gate order i,f,g,o):
     * pre (B,4H) = W_i x + b_i + W_h h_prev + b_h, c_prev (B,H)
     * -> h (B,H), c (B,H), gates (B,4H) = activated i,f,g,o */
    void (*lstm_forward)(float *h, float *c, float *gates, const float *pre, const float *c_prev,
                         size_t B, size_t H);
    /* dh, dc (B,H) -> dpre (B,4H) (overwritten), dc_prev (B,H) (overwritten) */
    void (*lstm_backward)(float *dpre, float *dc_prev, const float *dh, const float *dc,
                          const float *gates, const float *c, const float *c_prev, size_t B,
                          size_t H);

    /* Causal multi-head self-attention with ALiBi biases (Press et al.
     * 2022) restricted to a sliding window of W positions (key j is seen
     * by query i when i - W < j <= i):
     * qkv (B,T,3C) -> out (B,T,C), att (B,NH,T,T) softmax probabilities */
    void (*attention_forward)(float *out, float *att, const float *qkv, size_t B, size_t T,
                              size_t C, size_t NH, size_t W);
    /* dout (B,T,C) -> dqkv (B,T,3C) (+=); datt scratch (B,NH,T,T) */
    void (*attention_backward)(float *dqkv, float *datt, const float *dout, const float *qkv,
                               const float *att, size_t B, size_t T, size_t C, size_t NH,
                               size_t W);
    /* One query against a KV cache (the incremental form of the above):
     * q (B,C) at absolute position pos; kc, vc (B,W,C) rings, position a in
     * slot a % W, filled for max(0, pos-W+1) <= a <= pos -> out (B,C);
     * scratch (NH,W) */
    void (*attention_step)(float *out, const float *q, const float *kc, const float *vc,
                           size_t B, size_t C, size_t NH, size_t W, size_t pos, float *scratch);

    /* Head (gaussian and student-t; the others have ops of their own
     * below): raw outputs o (BT,K), targets y (BT) (NaN = missing, masked)
     * -> nll (BT) (0 where masked), do (BT,K) = weight * d nll / d o
     * (overwritten; do may be NULL).  Returns the sum of nll. */
    double (*head_loss)(float *nll, float *dout, const float *o, const float *y, size_t BT,
                        tsf_nn_head head, float weight);
    /* o (BT,K) -> mu, sigma, nu (BT each; nu NULL for the Gaussian head) */
    void (*head_params)(float *mu, float *sigma, float *nu, const float *o, size_t BT,
                        tsf_nn_head head);

    /* sum of squares of g (N), accumulated in double */
    double (*sumsq)(const float *g, size_t N);
    /* x (N) *= a */
    void (*scale)(float *x, float a, size_t N);
    /* AdamW (Loshchilov & Hutter 2019), bias-corrected, step t >= 1:
     * params, grads, m, v (N) */
    void (*adamw_update)(float *params, const float *grads, float *m, float *v, size_t N,
                         float lr, float beta1, float beta2, float eps, float weight_decay,
                         int t);

    /* ---- Memory (added for device backends).  Every buffer the ops above
     * take lives where the backend computes: host memory for the CPU
     * backend (these are calloc/free/memcpy/memset there), device memory
     * for CUDA.  Nets allocate one parameter buffer and one activation
     * arena through alloc, never per step. ---- */
    int on_device;                                         /* 1: buffers are device memory */
    float *(*alloc)(size_t n);                             /* n floats, zeroed; NULL: out of memory */
    void (*free)(float *p);                                /* NULL harmless */
    void (*upload)(float *dst, const float *src_host, size_t n);
    void (*download)(float *dst_host, const float *src, size_t n);
    /* within the backend's memory (ranges must not overlap on a device) */
    void (*copy)(float *dst, const float *src, size_t n);
    /* rows x width floats, row i from src + i*spitch to dst + i*dpitch
     * (one call instead of one copy per row; regions must not overlap) */
    void (*copy2d)(float *dst, size_t dpitch, const float *src, size_t spitch, size_t width,
                   size_t rows);
    void (*zero)(float *p, size_t n);
    /* Waits for queued work.  Returns 0, or nonzero after a device error
     * (sticky) with a one-line message in msg (len bytes). */
    int (*sync)(char *msg, size_t len);

    /* ---- Added with ABI 2 (wavenet, mixture and binned heads).  New ops
     * go at the end, never in between (the CUDA module's table is checked
     * by size and ABI version, cuda_abi.h).  A backend may leave any op
     * below NULL: networks that need it are refused by tsf_nn_new_on with
     * an error naming the op and the device. ---- */

    /* Dilated causal im2col (van den Oord et al. 2016): inp (B,T,C) ->
     * col (B,T,KW*C), col[b,t,j*C+c] = inp[b,t-j*dil,c], 0 when t-j*dil < 0.
     * A dilated convolution is this and one matmul_forward with a weight
     * (OC, KW*C) whose column block j is the tap j steps of dil back. */
    void (*dilated_im2col)(float *col, const float *inp, size_t B, size_t T, size_t C,
                           size_t KW, size_t dil);
    /* Its adjoint: dcol (B,T,KW*C) -> dinp (B,T,C) (+=) */
    void (*dilated_col2im)(float *dinp, const float *dcol, size_t B, size_t T, size_t C,
                           size_t KW, size_t dil);
    /* Gated activation: z (N,2C) rows [f | g] -> out (N,C) = tanh(f) * sigmoid(g) */
    void (*gated_forward)(float *out, const float *z, size_t N, size_t C);
    /* dout (N,C) -> dz (N,2C) (overwritten) */
    void (*gated_backward)(float *dz, const float *z, const float *dout, size_t N, size_t C);
    /* out = max(inp, 0) (N) / dinp += dout where inp > 0 */
    void (*relu_forward)(float *out, const float *inp, size_t N);
    void (*relu_backward)(float *dinp, const float *inp, const float *dout, size_t N);
    /* Mixture of M Gaussians: o (BT,3M) rows [logits (M) | means (M) |
     * raw sigmas (M)], weights softmax(logits), sigma = softplus(raw) +
     * SIGMA_MIN; y (BT) NaN masked -> nll (BT), dout (BT,3M) = weight *
     * d nll / d o (overwritten); each may be NULL.  Returns the sum of nll. */
    double (*mixture_loss)(float *nll, float *dout, const float *o, const float *y, size_t BT,
                           size_t M, float weight);
    /* Binned density over N bins: o (BT,N) logits, P = softmax(o); bins
     * 1..N-2 split [lo, hi] into equal widths w = (hi-lo)/(N-2), density
     * P_i / w inside; bin 0 is the tail below lo with density
     * P_0 exp(-(lo-y)/tau)/tau, bin N-1 the tail above hi likewise,
     * tau = TSF_NN_TAIL_FRAC * (hi - lo).  Arguments as mixture_loss. */
    double (*binned_loss)(float *nll, float *dout, const float *o, const float *y, size_t BT,
                          size_t N, float lo, float hi, float weight);

    /* ---- Added with ABI 3: additive attention (Bahdanau, Cho & Bengio
     * 2015), score(t, j) = va_h . tanh(q_t + k_j) per head h (q and k are
     * already projected; va (NH*hs)), softmax over the window, out_t =
     * sum_j p_tj v_j.  Geometry g as tsf_nn_add_geom says. ---- */
    /* q, k, v -> out, att (B,NH,T,W) probabilities, att[.., t, w] for key
     * j = t - W + 1 + w (0 for j < 0) */
    void (*additive_forward)(float *out, float *att, const float *q, const float *k,
                             const float *v, const float *va, const tsf_nn_add_geom *g);
    /* dout -> dq, dk, dv (strided as q, k, v), dva (NH*hs), all +=;
     * scratch W + hs floats (host backends; device ones may ignore it) */
    void (*additive_backward)(float *dq, float *dk, float *dv, float *dva, const float *dout,
                              const float *q, const float *k, const float *v, const float *va,
                              const float *att, const tsf_nn_add_geom *g, float *scratch);
    /* One query against KV rings (as attention_step): q (B,C), C = NH*hs,
     * at position pos, kc, vc (B,W,C) with position a in slot a % W ->
     * out (B,C); scratch (NH,W) */
    void (*additive_step)(float *out, const float *q, const float *kc, const float *vc,
                          const float *va, size_t B, size_t NH, size_t hs, size_t W, size_t pos,
                          int alibi, float *scratch);
    /* ---- ABI 3 also: sampling on the device. ---- */

    /* One draw per row from the head's distribution: o (B,K) raw outputs,
     * e (B) pre-drawn noise (a standard normal for the Gaussian head, the
     * value is mu + sigma e; a uniform in (0, 1) for the others, the value
     * is its quantile) -> z (B) in scaled units.  n: the mixture's
     * components or the bin count (0 otherwise), lo, hi: the binned
     * head's range.  z and e are B doubles each in the backend's memory
     * (2B floats from alloc). */
    void (*head_draw)(double *z, const double *e, const float *o, size_t B, tsf_nn_head head,
                      size_t n, float lo, float hi);
    /* ---- ABI 3 also: sparse attention patterns (attn_pattern.h).
     * The attention above restricted to the keys of pattern p: query t of
     * head h sees key t - d for d = tsf_pat_offset(p, h, NH, m),
     * m < tsf_pat_count(p, h, NH), d <= t.  Only those entries are
     * computed and stored: att and datt are (B,NH,T,N), N =
     * tsf_pat_width(p, NH), entry m of a row the probability of offset m
     * (0 past the count or where d > t). ---- */
    void (*sparse_attention_forward)(float *out, float *att, const float *qkv, size_t B,
                                     size_t T, size_t C, size_t NH, tsf_nn_pattern p);
    /* dout (B,T,C) -> dqkv (B,T,3C) (+=); datt scratch (B,NH,T,N) */
    void (*sparse_attention_backward)(float *dqkv, float *datt, const float *dout,
                                      const float *qkv, const float *att, size_t B, size_t T,
                                      size_t C, size_t NH, tsf_nn_pattern p);
    /* One query at absolute position pos against rings kc, vc (B,R,C) of
     * R = tsf_pat_span(p, NH) positions, position a in slot a % R, filled
     * for max(0, pos-R+1) <= a <= pos -> out (B,C); scratch (NH,N) */
    void (*sparse_attention_step)(float *out, const float *q, const float *kc, const float *vc,
                                  size_t B, size_t C, size_t NH, size_t pos, tsf_nn_pattern p,
                                  float *scratch);
    /* ---- Not an op: whether the products (matmul_*) may be called at once
     * from the threads of an OpenMP team, each thread's product then
     * running on that thread alone (its OpenMP count set to 1): returns 1
     * for oneDNN's tables, and for the OpenBLAS reference only while
     * OpenBLAS runs one thread (its pthreads pool slowed two concurrent
     * callers down 6-8x, wavenet at 2 threads).  NULL: never (devices). */
    int (*team_products)(void);
    /* ---- Added with ABI 4: shared-prefix attention, the KV-cache step of
     * B sample paths that continue one history.  The paths share the
     * history's keys and values, stored once; each path keeps only its own
     * new positions.  One query per path at absolute position pos against
     * the union of two parts: the shared prefix kp, vp (P,C), positions
     * p0 .. p0+P-1 in order, and the paths' own rings ks, vs (R,B,C),
     * positions p0+P .. pos, path b's position a in row
     * ((a - p0 - P) % R) B + b (a slot holds all paths' rows).  Window W
     * as attention_step: key a is seen when pos - W < a <= pos; needs
     * pos >= p0 + P and R >= min(W, pos - p0 - P + 1).  The same scores,
     * ALiBi biases and one softmax over both parts as attention_step on a
     * ring holding the same positions.  q (B,C) -> out (B,C); scratch
     * (NH,B,W).  kp, vp may be NULL when P = 0. ---- */
    void (*attention_step_shared)(float *out, const float *q, const float *kp, const float *vp,
                                  size_t P, size_t p0, const float *ks, const float *vs, size_t R,
                                  size_t B, size_t C, size_t NH, size_t W, size_t pos,
                                  float *scratch);
    /* ---- Not an op: the table inference runs on (tsf_nn_infer_backend;
     * NULL: this one).  The CPU tables name the batch-invariant one
     * (cpu_invariant.c). ---- */
    const struct tsf_nn_backend *infer;

    /* ---- Added with ABI 4: a workspace per training pass (issue #19).
     * What the products may keep between calls of a pass and between
     * passes: the CPU bf16 table keeps bf16, pre-packed copies of the
     * weights (converted once per optimiser step, not at every call and
     * time step), the activations' conversion buffers and its oneDNN
     * primitives per shape.  tsf_nn_acts_new makes one with the
     * activation arena; each entry may be NULL (the backend keeps none,
     * and the networks call matmul_forward/backward).
     * workspace_create: for the n weights at params (the network's
     * parameter buffer, which stays where it is); NULL: out of memory.
     * workspace_free: NULL harmless.
     * workspace_update: the weights have changed (the trainer's optimiser
     * step); tsf_nn_forward_backward calls it before every pass.
     * matmul_*_ws: matmul_forward/backward (same arguments and results,
     * within the precision's tolerance) through the workspace ws; weights
     * outside params are converted per call.  One thread at a time per
     * workspace. */
    void *(*workspace_create)(const float *params, size_t n);
    void (*workspace_free)(void *ws);
    void (*workspace_update)(void *ws);
    void (*matmul_forward_ws)(void *ws, float *out, const float *inp, const float *weight,
                              const float *bias, size_t BT, size_t C, size_t OC);
    void (*matmul_backward_ws)(void *ws, float *dinp, float *dweight, float *dbias,
                               const float *dout, const float *inp, const float *weight,
                               size_t BT, size_t C, size_t OC);
} tsf_nn_backend;

/* Scale of the binned head's exponential tails, as a fraction of the
 * interior range (docs/neural.md). */
#define TSF_NN_TAIL_FRAC 0.0625

/* The CPU reference backend (always available). */
const tsf_nn_backend *tsf_nn_backend_cpu(void);
/* The table inference runs on for networks on be (the one-step update
 * and the parallel sampler's pass, never training): be->infer, or be
 * itself.  For the host backends the CPU reference with batch-invariant
 * products and per-query attention (cpu_invariant.c), so that a row's
 * result does not depend on how many rows a call has; a device backend's
 * own table (CUDA promises no such thing, docs/neural.md). */
const tsf_nn_backend *tsf_nn_infer_backend(const tsf_nn_backend *be);

/* Number of raw outputs of the gaussian and student-t heads (the others':
 * tsf_nn_cfg_k in net.h). */
static inline size_t tsf_nn_head_k(tsf_nn_head h) { return h == TSF_NN_HEAD_GAUSSIAN ? 2 : 3; }

#endif
