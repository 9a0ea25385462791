/* Parallel sampling by fixed-point iteration (Song et al. 2021,
 * "Accelerating feedforward computation via parallel nonlinear equation
 * solving"; Santilli et al. 2023).  With the noise e_t of every path drawn
 * in advance (the order ancestral sampling uses, tsf_nn_noise), the h
 * future scaled values satisfy the triangular system
 *     z_t = G(z_<t, e_t),   t = n .. n+h-1,
 * G the head's draw (mu + sigma e, or its quantile at e).  Jacobi
 * iteration updates all of them at once from the previous iterate, each
 * iteration ONE batched forward pass over all positions of all paths
 * (the architecture's fb in inference mode, no gradients).  That pass runs
 * the inference table (tsf_nn_infer_backend): products whose every row is
 * computed as if alone and attention computed query by query through the
 * step's own routine, so each position's outputs are bit for bit those of
 * the one-step update ancestral sampling runs, and the fixed point is
 * exactly the ancestral paths.  After iteration k the first k values are
 * exact, so h iterations always suffice; the loop stops when an iteration
 * changed no value.  A prefix that did not change is final (each of its
 * values was computed from the same inputs it now has), and so is the
 * value after it; the pass then starts `reach` positions before the
 * first value not yet final. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "neural.h"

/* activation arena of one pass at most this many floats (256 MiB): paths
 * beyond it are run in several chunks of the same pass */
#define FP_ARENA_FLOATS ((size_t)1 << 26)

typedef struct {
    const double *zh; /* scaled history values of positions [h0, n) */
    size_t h0, n, h;
    const double *fut; /* (S,h) current iterate */
} fp_values;

/* the scaled value of path b at absolute position a (NaN: missing or
 * before the start) */
static double value_at(const fp_values *v, size_t b, long a)
{
    if (a < 0) return NAN;
    size_t u = (size_t)a;
    if (u >= v->n) return v->fut[b * v->h + (u - v->n)];
    return u >= v->h0 ? v->zh[u - v->h0] : NAN;
}

tsf_status tsf_nn_sample_parallel(const tsf_nn *nn, double scale, const double *y, size_t n,
                                  size_t h, size_t S, gsl_rng *r, size_t max_iter,
                                  double *paths, size_t *iters)
{
    const tsf_nn_config *c = &nn->cfg;
    const tsf_nn_head_ops *hd = tsf_nn_head_get(c->head);
    size_t reach = c->arch->reach(c), P = c->period > 1 ? (size_t)c->period : 1;
    if (iters) *iters = 0;
    if (reach == SIZE_MAX)
        return tsf_set_error(TSF_EUNSUP, "parallel sampling needs a network that looks back a "
                             "bounded number of steps (transformer, wavenet); %s samples "
                             "ancestrally: use --sampler ancestral", c->arch->name);
    if (c->nextra)
        return tsf_set_error(TSF_EUNSUP, "parallel sampling does not take regressors yet: use "
                             "--sampler ancestral");
    if (h == 0 || S == 0) return TSF_OK;
    if (!max_iter || max_iter > h) max_iter = h;
    /* history: the last reach + P values (inputs of the window's first
     * position read one and P back) */
    size_t h0 = n > reach + P ? n - reach - P : 0, nh = n - h0;
    size_t T0 = (n < reach ? n : reach) + h, F = nn->nin, K = nn->K;
    size_t per = c->arch->acts_floats(nn, 1, T0);
    size_t Bc = per ? FP_ARENA_FLOATS / per : S;
    if (Bc < 1) Bc = 1;
    if (Bc > S) Bc = S;
    double *zh = malloc((nh ? nh : 1) * sizeof *zh), *e = malloc(S * h * sizeof *e);
    double *fut = malloc(S * h * sizeof *fut), *nxt = malloc(S * h * sizeof *nxt);
    float *x = malloc(Bc * T0 * F * sizeof *x), *yn = malloc(Bc * T0 * sizeof *yn);
    float *o = malloc(Bc * T0 * K * sizeof *o);
    tsf_nn_acts *acts = NULL;
    tsf_status st = TSF_OK;
    if (!zh || !e || !fut || !nxt || !x || !yn || !o)
        st = tsf_set_error(TSF_ENOMEM, "out of memory for parallel sampling of %zu paths of %zu "
                           "steps", S, h);
    if (!st) st = tsf_nn_acts_new(nn, Bc, T0, &acts);
    if (st) goto done;
    acts->infer = 1;
    double start = 0.0;
    for (size_t i = 0; i < nh; i++) {
        zh[i] = y[h0 + i] / scale;
        if (!isnan(zh[i])) start = zh[i];
    }
    /* the noise in ancestral sampling's order: step by step, path by path */
    for (size_t k = 0; k < h; k++)
        for (size_t b = 0; b < S; b++) e[k * S + b] = tsf_nn_noise(hd, r);
    /* first guess: the last observed value */
    for (size_t i = 0; i < S * h; i++) fut[i] = nxt[i] = start;
    for (size_t i = 0; i < Bc * T0; i++) yn[i] = NAN; /* no targets: the loss is not wanted */
    fp_values v = {zh, h0, n, h, fut};
    size_t conv = 0, it = 0; /* future values known final */
    while (conv < h && it < max_iter) {
        size_t s0 = n + conv > reach ? n + conv - reach : 0, T = n + h - s0;
        for (size_t b0 = 0; b0 < S; b0 += Bc) {
            size_t bc = S - b0 < Bc ? S - b0 : Bc;
            for (size_t b = 0; b < bc; b++)
                for (size_t p = 0; p < T; p++) {
                    long a = (long)(s0 + p);
                    tsf_nn_input(nn, value_at(&v, b0 + b, a - 1),
                                 P > 1 ? value_at(&v, b0 + b, a - (long)P) : NAN, NULL,
                                 x + (b * T + p) * F);
                }
            tsf_nn_forward_backward(nn, acts, x, yn, bc, T, o, NULL, 0.0f);
            for (size_t b = 0; b < bc; b++)
                for (size_t k = conv; k < h; k++)
                    nxt[(b0 + b) * h + k] =
                        hd->draw(c, o + (b * T + (n + k - s0)) * K, e[k * S + b0 + b]);
        }
        if (nn->be->sync) {
            char msg[200] = "";
            if (nn->be->sync(msg, sizeof msg)) {
                st = tsf_set_error(TSF_EIO, "parallel sampling on %s: %s", nn->be->name, msg);
                goto done;
            }
        }
        it++;
        /* the first step that changed (in any path): everything before
         * it, and it, is final; none: the fixed point */
        size_t first = h;
        for (size_t k = conv; k < h && first == h; k++)
            for (size_t b = 0; b < S; b++)
                if (!(nxt[b * h + k] == fut[b * h + k])) {
                    first = k;
                    break;
                }
        for (size_t b = 0; b < S; b++)
            memcpy(fut + b * h + conv, nxt + b * h + conv, (h - conv) * sizeof *fut);
        conv = first == h ? h : first + 1;
    }
    for (size_t i = 0; i < S * h; i++) {
        if (!isfinite(fut[i])) {
            st = tsf_set_error(TSF_EDOMAIN, "parallel sampling produced a non-finite value at "
                               "step %zu; use --sampler ancestral", i % h + 1);
            goto done;
        }
        paths[i] = fut[i] * scale;
    }
    if (iters) *iters = it;
done:
    tsf_nn_acts_free(acts);
    free(zh);
    free(e);
    free(fut);
    free(nxt);
    free(x);
    free(yn);
    free(o);
    return st;
}

/* auto's rule, from bench/sampler.sh (docs/neural.md, Sampling): on the
 * CPU an iteration is one batched pass over reach + the steps not yet
 * final, which costs about what ancestral sampling of those steps costs
 * (the same multiply-adds: 0.46 s an iteration against 0.95 s for all
 * 384 ancestral steps of the fitted d=32 transformer), and fitted
 * networks on real series need many iterations (244 to 299 of 336 and
 * 384), so parallel sampling took 20 to 300 times as long at every
 * horizon measured (h = 24 .. 384, 200 paths).  A device backend favours
 * it, but it has not been measured there, so auto stays ancestral
 * everywhere for now. */
int tsf_nn_parallel_pays(const tsf_nn *nn, size_t n, size_t h, size_t S)
{
    (void)nn; (void)n; (void)h; (void)S;
    return 0;
}
