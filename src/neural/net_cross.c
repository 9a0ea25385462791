/* The cross-attention sublayer of transformer(cross=true) (net_cross.h):
 * queries from the target stream, keys and values from an encoding of the
 * covariate sequence over the same causal window, the position predicted
 * included.  Only the backend's common ops: the attention op runs on a
 * packed (q | k v) tensor built with strided copies. */
#include <math.h>
#include <stdio.h>
#include "net_cross.h"
#include "prune.h"

static size_t NX(const tsf_nn *nn) { return (size_t)nn->cfg.nextra; }

size_t tsf_cross_layer_floats(const tsf_nn *nn, size_t B, size_t T)
{
    size_t C = (size_t)nn->cfg.hidden, NH = (size_t)nn->cfg.heads, BT = B * T;
    return BT * C + 2 * BT + BT * 3 * C + B * NH * T * T + 2 * BT * C;
}

size_t tsf_cross_shared_floats(const tsf_nn *nn, size_t BT)
{
    return BT * NX(nn) + 2 * BT * (size_t)nn->cfg.hidden;
}

void tsf_cross_carve(const tsf_nn *nn, size_t B, size_t T, float *base, tsf_cross_acts *a)
{
    size_t C = (size_t)nn->cfg.hidden, NH = (size_t)nn->cfg.heads, BT = B * T, off = 0;
    TSF_NN_TAKE(a->lnc, BT * C);
    TSF_NN_TAKE(a->lncm, BT);
    TSF_NN_TAKE(a->lncr, BT);
    TSF_NN_TAKE(a->cqkv, BT * 3 * C);
    TSF_NN_TAKE(a->catt, B * NH * T * T);
    TSF_NN_TAKE(a->catty, BT * C);
    TSF_NN_TAKE(a->out, BT * C);
}

/* Names as the self-attention's: h{l}.lnc, h{l}.xattn.{q,kv,proj}, then
 * cross.embed; appended after the transformer's own tensors. */
void tsf_cross_layout(tsf_nn *nn)
{
    size_t H = (size_t)nn->cfg.hidden;
    char nm[32];
    for (int l = 0; l < nn->cfg.layers; l++) {
        tsf_nn_layer_off *o = &nn->lo[l];
#define T_(field, suffix, r, cc)                                                              \
    snprintf(nm, sizeof nm, "h%d.%s", l, suffix);                                            \
    o->field = tsf_nn_add_tensor(nn, nm, r, cc)
        T_(lncw, "lnc.weight", H, 0);
        T_(lncb, "lnc.bias", H, 0);
        T_(wcq, "xattn.q.weight", H, H);
        T_(bcq, "xattn.q.bias", H, 0);
        T_(wckv, "xattn.kv.weight", 2 * H, H);
        T_(bckv, "xattn.kv.bias", 2 * H, 0);
        T_(wco, "xattn.proj.weight", H, H);
        T_(bco, "xattn.proj.bias", H, 0);
#undef T_
    }
    nn->w_cx = tsf_nn_add_tensor(nn, "cross.embed.weight", H, NX(nn));
    nn->b_cx = tsf_nn_add_tensor(nn, "cross.embed.bias", H, 0);
}

/* As the self-attention's (GPT-2): N(0, 0.02), the projection back into
 * the residual stream scaled by 1/sqrt(2L); the encoding as the input
 * embedding. */
void tsf_cross_init(tsf_nn *nn, float *P, gsl_rng *r)
{
    size_t H = (size_t)nn->cfg.hidden;
    double rs = 0.02 / sqrt(2.0 * nn->cfg.layers);
    for (int l = 0; l < nn->cfg.layers; l++) {
        const tsf_nn_layer_off *o = &nn->lo[l];
        tsf_nn_fill_const(P + o->lncw, H, 1.0f);
        tsf_nn_fill_normal(P + o->wcq, H * H, 0.02, r);
        tsf_nn_fill_normal(P + o->wckv, 2 * H * H, 0.02, r);
        tsf_nn_fill_normal(P + o->wco, H * H, rs, r);
    }
    tsf_nn_fill_normal(P + nn->w_cx, H * NX(nn), 1.0 / sqrt((double)NX(nn)), r);
}

void tsf_cross_encode(const tsf_nn *nn, float *enc, float *xc, const float *x, size_t BT)
{
    const tsf_nn_backend *be = nn->be;
    size_t nx = NX(nn), F = nn->nin, C = (size_t)nn->cfg.hidden;
    be->copy2d(xc, nx, x + (F - nx), F, nx, BT);
    be->matmul_forward(enc, xc, nn->params + nn->w_cx, nn->params + nn->b_cx, BT, nx, C);
}

void tsf_cross_forward(const tsf_nn *nn, size_t l, tsf_cross_acts *a, const float *res,
                       const float *enc, size_t B, size_t T, float *scratch, float *kvb)
{
    const tsf_nn_backend *be = nn->be;
    const tsf_nn_layer_off *lo = &nn->lo[l];
    const float *P = nn->params;
    size_t C = (size_t)nn->cfg.hidden, NH = (size_t)nn->cfg.heads, W = (size_t)nn->cfg.context;
    size_t BT = B * T;
    be->layernorm_forward(a->lnc, a->lncm, a->lncr, res, P + lo->lncw, P + lo->lncb, BT, C);
    be->matmul_forward(scratch, a->lnc, P + lo->wcq, P + lo->bcq, BT, C, C);
    be->matmul_forward(kvb, enc, P + lo->wckv, P + lo->bckv, BT, C, 2 * C);
    be->copy2d(a->cqkv, 3 * C, scratch, C, C, BT);
    be->copy2d(a->cqkv + C, 3 * C, kvb, 2 * C, 2 * C, BT);
    be->attention_forward(a->catty, a->catt, a->cqkv, B, T, C, NH, W);
    be->matmul_forward(scratch, a->catty, P + lo->wco, P + lo->bco, BT, C, C);
    be->residual_forward(a->out, res, scratch, BT * C);
}

void tsf_cross_backward(const tsf_nn *nn, size_t l, const tsf_cross_acts *a, const float *res,
                        const float *enc, float *G, float *dres, float *denc, size_t B,
                        size_t T, float *dq, float *dqkv, float *datt, float *datty, float *dln,
                        float *dkv)
{
    const tsf_nn_backend *be = nn->be;
    const tsf_nn_layer_off *lo = &nn->lo[l];
    const float *P = nn->params;
    size_t C = (size_t)nn->cfg.hidden, NH = (size_t)nn->cfg.heads, W = (size_t)nn->cfg.context;
    size_t BT = B * T;
    be->zero(datty, BT * C);
    be->matmul_backward(datty, G + lo->wco, G + lo->bco, dres, a->catty, P + lo->wco, BT, C, C);
    be->zero(dqkv, BT * 3 * C);
    be->attention_backward(dqkv, datt, datty, a->cqkv, a->catt, B, T, C, NH, W);
    be->copy2d(dq, C, dqkv, 3 * C, C, BT);
    be->copy2d(dkv, 2 * C, dqkv + C, 3 * C, 2 * C, BT);
    be->zero(dln, BT * C);
    be->matmul_backward(dln, G + lo->wcq, G + lo->bcq, dq, a->lnc, P + lo->wcq, BT, C, C);
    be->layernorm_backward(dres, G + lo->lncw, G + lo->lncb, dln, res, P + lo->lncw, a->lncm,
                           a->lncr, BT, C);
    be->matmul_backward(denc, G + lo->wckv, G + lo->bckv, dkv, enc, P + lo->wckv, BT, C, 2 * C);
}

void tsf_cross_encode_backward(const tsf_nn *nn, float *G, const float *denc, const float *xc,
                               size_t BT)
{
    nn->be->matmul_backward(NULL, G + nn->w_cx, G + nn->b_cx, denc, xc, nn->params + nn->w_cx,
                            BT, NX(nn), (size_t)nn->cfg.hidden);
}

void tsf_cross_step(const tsf_nn *nn, size_t l, float *res, const float *enc, float *kc,
                    float *vc, size_t B, size_t pos, float *ln, float *q, float *atty,
                    float *tmp, float *kvb, float *sc)
{
    const tsf_nn_backend *be = nn->be;
    const tsf_nn_layer_off *lo = &nn->lo[l];
    const float *P = nn->params;
    size_t C = (size_t)nn->cfg.hidden, NH = (size_t)nn->cfg.heads, W = (size_t)nn->cfg.context;
    size_t slot = pos % W;
    be->layernorm_forward(ln, NULL, NULL, res, P + lo->lncw, P + lo->lncb, B, C);
    /* the projections as the step's others: pruned ones through their sparse copies */
    tsf_nn_linear(nn, q, ln, lo->wcq, lo->bcq, B, C, C);
    tsf_nn_linear(nn, kvb, enc, lo->wckv, lo->bckv, B, C, 2 * C);
    be->copy2d(kc + slot * C, W * C, kvb, 2 * C, C, B);
    be->copy2d(vc + slot * C, W * C, kvb + C, 2 * C, C, B);
    be->attention_step(atty, q, kc, vc, B, C, NH, W, pos, sc);
    tsf_nn_linear(nn, tmp, atty, lo->wco, lo->bco, B, C, C);
    be->residual_forward(res, res, tmp, B * C);
}
