/* transformer(cross=true): the cross-attention sublayer of each block
 * (net_cross.c), called from net_transformer.c.  The covariates (the
 * cfg.nextra regressor features at the end of each position's input) are
 * encoded once per position, enc_t = W_cx x_t + b_cx (C wide); block l then
 * adds, after its self-attention,
 *     res += W_o attn(q = W_q LN_c(res), k, v = W_kv enc) + b_o
 * with the causal ALiBi window of the self-attention (query t attends to
 * the encodings of positions t - W + 1 .. t, its own step included): the
 * existing attention op on a packed (q | k v) tensor, so every backend
 * that runs the transformer runs this too. */
#ifndef TSF_NEURAL_NET_CROSS_H
#define TSF_NEURAL_NET_CROSS_H

#include "net.h"

/* cross=true is hp[2] of the transformer's configuration (hp[3] is
 * attention=); the sublayers exist when there are regressors to attend to
 * (fitting cross=true without them is refused, net_transformer.c). */
static inline int tsf_cross_on(const tsf_nn_config *c) { return c->hp[2] != 0 && c->nextra > 0; }

/* Activations of one block's sublayer over B windows of T. */
typedef struct {
    float *lnc, *lncm, *lncr, *cqkv, *catt, *catty, *out; /* out: the residual stream after */
} tsf_cross_acts;

/* Floats of one block's activations, and of the shared encoding part
 * (xc (BT,nx), enc and denc (BT,C)). */
size_t tsf_cross_layer_floats(const tsf_nn *nn, size_t B, size_t T);
size_t tsf_cross_shared_floats(const tsf_nn *nn, size_t BT);
void tsf_cross_carve(const tsf_nn *nn, size_t B, size_t T, float *base, tsf_cross_acts *a);

void tsf_cross_layout(tsf_nn *nn);
void tsf_cross_init(tsf_nn *nn, float *P, gsl_rng *r);

/* enc (BT,C) from the inputs x (BT,nin) via xc (BT,nx). */
void tsf_cross_encode(const tsf_nn *nn, float *enc, float *xc, const float *x, size_t BT);
/* Block l: a->out = res + sublayer(res); scratch (BT,C) and kvb (BT,2C). */
void tsf_cross_forward(const tsf_nn *nn, size_t l, tsf_cross_acts *a, const float *res,
                       const float *enc, size_t B, size_t T, float *scratch, float *kvb);
/* Its backward: dres holds d/d a->out on entry and d/d res on return
 * (the LN path added); denc += d/d enc.  Scratch: dq (BT,C), dqkv
 * (BT,3C), datt (B,NH,T,T), datty, dln (BT,C), dkv (BT,2C). */
void tsf_cross_backward(const tsf_nn *nn, size_t l, const tsf_cross_acts *a, const float *res,
                        const float *enc, float *G, float *dres, float *denc, size_t B,
                        size_t T, float *dq, float *dqkv, float *datt, float *datty, float *dln,
                        float *dkv);
/* The encoding's own backward (after every block's). */
void tsf_cross_encode_backward(const tsf_nn *nn, float *G, const float *denc, const float *xc,
                               size_t BT);
/* One position of B sequences: res (B,C) += sublayer, the position's keys
 * and values into the caches kc, vc (B,W,C) of block l; enc (B,C) this
 * position's encoding; scratch: ln, q, atty, tmp (B,C), kvb (B,2C), sc
 * (NH,W). */
void tsf_cross_step(const tsf_nn *nn, size_t l, float *res, const float *enc, float *kc,
                    float *vc, size_t B, size_t pos, float *ln, float *q, float *atty,
                    float *tmp, float *kvb, float *sc);

#endif
