/* Decoder-only transformer with pre-LayerNorm blocks (Xiong et al. 2020)
 * x += attn(ln1(x)); x += mlp(ln2(x)), causal ALiBi attention over a
 * sliding window of `context` positions, GELU MLP (4d), final LayerNorm
 * and a distributional head.  Layout (B,T,C) as llm.c. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include "neural.h"
#include "prune.h"
#include "net_cross.h"

/* attention=dot (0, scaled dot product) or additive (1, cpu_additive.c):
 * the optional hyperparameter in hp[3]; not combined with a sparse pattern */
#define ADDITIVE(c) ((c)->hp[3] == 1)
/* Attention pattern (attn_pattern.h): hp[0] = kind, hp[1] = band.  Dense
 * runs the GEMM kernels of cpu_attention.c; the others the gather kernels
 * of the sparse_attention_* ops, with (B,NH,T,N) probabilities and KV
 * caches of span positions instead of context. */
static tsf_nn_pattern pattern(const tsf_nn_config *c)
{
    tsf_nn_pattern p = {c->hp[0], c->context, c->hp[1]};
    return p;
}
static int sparse(const tsf_nn_config *c) { return c->hp[0] != TSF_NN_PAT_DENSE; }
/* Entries per query row of the probability arrays. */
static size_t att_row(const tsf_nn_config *c, size_t T)
{
    tsf_nn_pattern p = pattern(c);
    return sparse(c) ? (size_t)tsf_pat_width(&p, c->heads) : T;
}
/* Positions of the KV caches (the ring of attention_step). */
static size_t ring(const tsf_nn_config *c)
{
    tsf_nn_pattern p = pattern(c);
    return sparse(c) ? (size_t)tsf_pat_span(&p, c->heads) : (size_t)c->context;
}

typedef struct {
    float *ln1, *ln1m, *ln1r, *qkv, *att, *atty, *res2;   /* per layer */
    float *ln2, *ln2m, *ln2r, *fch, *fchg, *res3;
} tf_layer_acts;

typedef struct {
    float *x, *y, *emb;                     /* (BT,nin), (BT), (BT,d) */
    tf_layer_acts l[TSF_NN_MAX_LAYERS];
    tsf_cross_acts cx[TSF_NN_MAX_LAYERS];   /* cross=true: each block's sublayer */
    float *xc, *enc, *denc;                 /* cross=true: (BT,nx), (BT,d), (BT,d) */
    float *lnf, *lnfm, *lnfr, *o, *dout;    /* (BT,d), (BT), (BT), (BT,K), (BT,K) */
    float *dres, *dln, *dqkv, *datt, *datty, *dfch, *dfchg, *tmp;
} tf_acts;

static size_t carve(const tsf_nn *nn, size_t B, size_t T, float *base, tf_acts *a)
{
    size_t C = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, NH = (size_t)nn->cfg.heads;
    size_t K = nn->K, BT = B * T, off = 0, N = att_row(&nn->cfg, T);
    tf_acts tmp;
    if (!a) a = &tmp;
    TSF_NN_TAKE(a->x, BT * nn->nin);
    TSF_NN_TAKE(a->y, BT);
    TSF_NN_TAKE(a->emb, BT * C);
    for (size_t l = 0; l < L; l++) {
        tf_layer_acts *q = &a->l[l];
        TSF_NN_TAKE(q->ln1, BT * C);
        TSF_NN_TAKE(q->ln1m, BT);
        TSF_NN_TAKE(q->ln1r, BT);
        TSF_NN_TAKE(q->qkv, BT * 3 * C);
        TSF_NN_TAKE(q->att, B * NH * T * (ADDITIVE(&nn->cfg) ? (size_t)nn->cfg.context : N));
        TSF_NN_TAKE(q->atty, BT * C);
        TSF_NN_TAKE(q->res2, BT * C);
        TSF_NN_TAKE(q->ln2, BT * C);
        TSF_NN_TAKE(q->ln2m, BT);
        TSF_NN_TAKE(q->ln2r, BT);
        TSF_NN_TAKE(q->fch, BT * 4 * C);
        TSF_NN_TAKE(q->fchg, BT * 4 * C);
        TSF_NN_TAKE(q->res3, BT * C);
        if (tsf_cross_on(&nn->cfg)) {
            float *cb = NULL;
            TSF_NN_TAKE(cb, tsf_cross_layer_floats(nn, B, T));
            if (base) tsf_cross_carve(nn, B, T, cb, &a->cx[l]);
        }
    }
    if (tsf_cross_on(&nn->cfg)) {
        TSF_NN_TAKE(a->xc, BT * (size_t)nn->cfg.nextra);
        TSF_NN_TAKE(a->enc, BT * C);
        TSF_NN_TAKE(a->denc, BT * C);
    }
    TSF_NN_TAKE(a->lnf, BT * C);
    TSF_NN_TAKE(a->lnfm, BT);
    TSF_NN_TAKE(a->lnfr, BT);
    TSF_NN_TAKE(a->o, BT * K);
    TSF_NN_TAKE(a->dout, BT * K);
    TSF_NN_TAKE(a->dres, BT * C);
    TSF_NN_TAKE(a->dln, BT * C);
    TSF_NN_TAKE(a->dqkv, BT * 3 * C);
    /* additive attention: its backward pass's scratch (W + hs) */
    TSF_NN_TAKE(a->datt, ADDITIVE(&nn->cfg) ? (size_t)nn->cfg.context + C : B * NH * T * N);
    TSF_NN_TAKE(a->datty, BT * C);
    TSF_NN_TAKE(a->dfch, BT * 4 * C);
    TSF_NN_TAKE(a->dfchg, BT * 4 * C);
    TSF_NN_TAKE(a->tmp, BT * C);
    return off;
}

static size_t acts_floats(const tsf_nn *nn, size_t B, size_t T)
{
    return carve(nn, B, T, NULL, NULL);
}

// x (B,T,nin), y (B,T) -> o (B,T,K); returns sum nll; grads += weight * d/dparams
static double fb(const tsf_nn *nn, tsf_nn_acts *A, const float *x, const float *y, size_t B,
                 size_t T, float *o, float *grads, float weight)
{
    const tsf_nn_backend *be = A->infer ? tsf_nn_infer_backend(nn->be) : nn->be;
    size_t C = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, NH = (size_t)nn->cfg.heads;
    size_t W = (size_t)nn->cfg.context, K = nn->K, BT = B * T, F = nn->nin;
    const float *P = nn->params;
    tsf_nn_pattern pat = pattern(&nn->cfg);
    int sp = sparse(&nn->cfg);
    tf_acts a = {0}; /* carve fills it; the initialiser quiets -Wmaybe-uninitialized at -O3 */
    carve(nn, B, T, A->mem, &a);
    be->upload(a.x, x, BT * F);
    be->upload(a.y, y, BT);
    /* additive attention's view of the packed qkv rows */
    tsf_nn_add_geom g = {B, T, NH, C / NH, W, T * 3 * C, 3 * C, T * C, C, 1};

    tsf_nn_mm_forward(nn, A, a.emb, a.x, P + nn->w_in, P + nn->b_in, BT, F, C);
    int cross = tsf_cross_on(&nn->cfg);
    if (cross) tsf_cross_encode(nn, a.enc, a.xc, a.x, BT);
    const float *res = a.emb;
    for (size_t l = 0; l < L; l++) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        tf_layer_acts *q = &a.l[l];
        be->layernorm_forward(q->ln1, q->ln1m, q->ln1r, res, P + lo->ln1w, P + lo->ln1b, BT, C);
        tsf_nn_mm_forward(nn, A, q->qkv, q->ln1, P + lo->wqkv, P + lo->bqkv, BT, C, 3 * C);
        if (ADDITIVE(&nn->cfg))
            be->additive_forward(q->atty, q->att, q->qkv, q->qkv + C, q->qkv + 2 * C,
                                 P + lo->av, &g);
        else if (sp)
            be->sparse_attention_forward(q->atty, q->att, q->qkv, B, T, C, NH, pat);
        else
            be->attention_forward(q->atty, q->att, q->qkv, B, T, C, NH, W);
        tsf_nn_mm_forward(nn, A, a.tmp, q->atty, P + lo->wo, P + lo->bo, BT, C, C);
        be->residual_forward(q->res2, res, a.tmp, BT * C);
        /* cross=true: the cross-attention sublayer between the two */
        const float *mid = q->res2;
        if (cross) {
            tsf_cross_forward(nn, l, &a.cx[l], q->res2, a.enc, B, T, a.tmp, a.dqkv);
            mid = a.cx[l].out;
        }
        be->layernorm_forward(q->ln2, q->ln2m, q->ln2r, mid, P + lo->ln2w, P + lo->ln2b, BT,
                              C);
        tsf_nn_mm_forward(nn, A, q->fch, q->ln2, P + lo->wfc, P + lo->bfc, BT, C, 4 * C);
        be->gelu_forward(q->fchg, q->fch, BT * 4 * C);
        tsf_nn_mm_forward(nn, A, a.tmp, q->fchg, P + lo->wpr, P + lo->bpr, BT, 4 * C, C);
        be->residual_forward(q->res3, mid, a.tmp, BT * C);
        res = q->res3;
    }
    be->layernorm_forward(a.lnf, a.lnfm, a.lnfr, res, P + nn->lnf_w, P + nn->lnf_b, BT, C);
    tsf_nn_mm_forward(nn, A, a.o, a.lnf, P + nn->w_out, P + nn->b_out, BT, C, K);
    double loss = tsf_nn_head_loss(nn, NULL, grads ? a.dout : NULL, a.o, a.y, BT, weight);
    if (o) be->download(o, a.o, BT * K);
    if (!grads) return loss;

    float *G = grads;
    be->zero(a.dln, BT * C);
    tsf_nn_mm_backward(nn, A, a.dln, G + nn->w_out, G + nn->b_out, a.dout, a.lnf, P + nn->w_out, BT,
                       C, K);
    be->zero(a.dres, BT * C);
    be->layernorm_backward(a.dres, G + nn->lnf_w, G + nn->lnf_b, a.dln, res, P + nn->lnf_w,
                           a.lnfm, a.lnfr, BT, C);
    if (cross) be->zero(a.denc, BT * C);
    for (size_t l = L; l-- > 0;) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        tf_layer_acts *q = &a.l[l];
        const float *resin = l ? a.l[l - 1].res3 : a.emb;
        /* res3 = res2 + mlp(ln2(res2)) */
        be->zero(a.dfchg, BT * 4 * C);
        tsf_nn_mm_backward(nn, A, a.dfchg, G + lo->wpr, G + lo->bpr, a.dres, q->fchg, P + lo->wpr,
                           BT, 4 * C, C);
        be->zero(a.dfch, BT * 4 * C);
        be->gelu_backward(a.dfch, q->fch, a.dfchg, BT * 4 * C);
        be->zero(a.dln, BT * C);
        tsf_nn_mm_backward(nn, A, a.dln, G + lo->wfc, G + lo->bfc, a.dfch, q->ln2, P + lo->wfc, BT,
                           C, 4 * C);
        const float *mid = cross ? a.cx[l].out : q->res2;
        be->layernorm_backward(a.dres, G + lo->ln2w, G + lo->ln2b, a.dln, mid, P + lo->ln2w,
                               q->ln2m, q->ln2r, BT, C);
        if (cross)
            tsf_cross_backward(nn, l, &a.cx[l], q->res2, a.enc, G, a.dres, a.denc, B, T, a.tmp,
                               a.dqkv, a.datt, a.datty, a.dln, a.dfch);
        /* res2 = res + attn(ln1(res)) */
        be->zero(a.datty, BT * C);
        tsf_nn_mm_backward(nn, A, a.datty, G + lo->wo, G + lo->bo, a.dres, q->atty, P + lo->wo, BT,
                           C, C);
        be->zero(a.dqkv, BT * 3 * C);
        if (ADDITIVE(&nn->cfg))
            be->additive_backward(a.dqkv, a.dqkv + C, a.dqkv + 2 * C, G + lo->av, a.datty,
                                  q->qkv, q->qkv + C, q->qkv + 2 * C, P + lo->av, q->att, &g,
                                  a.datt);
        else if (sp)
            be->sparse_attention_backward(a.dqkv, a.datt, a.datty, q->qkv, q->att, B, T, C, NH,
                                          pat);
        else
            be->attention_backward(a.dqkv, a.datt, a.datty, q->qkv, q->att, B, T, C, NH, W);
        be->zero(a.dln, BT * C);
        tsf_nn_mm_backward(nn, A, a.dln, G + lo->wqkv, G + lo->bqkv, a.dqkv, q->ln1, P + lo->wqkv,
                           BT, C, 3 * C);
        be->layernorm_backward(a.dres, G + lo->ln1w, G + lo->ln1b, a.dln, resin, P + lo->ln1w,
                               q->ln1m, q->ln1r, BT, C);
    }
    if (A->dx) be->zero(A->dx, BT * F); /* global models' embeddings: the input gradient */
    tsf_nn_mm_backward(nn, A, A->dx, G + nn->w_in, G + nn->b_in, a.dres, a.x, P + nn->w_in, BT, F,
                       C);
    if (cross) tsf_cross_encode_backward(nn, G, a.denc, a.xc, BT);
    return loss;
}

/* Run state: K caches (L,B,R,C), then V caches (L,B,R,C): one block
 * per layer and kind.  R = ring(): the context for dense attention, the
 * largest offset + 1 of a sparse pattern (the keys it can still reach).
 * cross=true (dense only, check()): then the cross-attention's K and V
 * caches of the covariate encodings (L,B,W,C) each, W = context. */
static size_t state_blocks(const tsf_nn *nn, size_t *n)
{
    size_t L = (size_t)nn->cfg.layers, nb = (tsf_cross_on(&nn->cfg) ? 4 : 2) * L;
    for (size_t j = 0; n && j < nb; j++)
        n[j] = (j < 2 * L ? ring(&nn->cfg) : (size_t)nn->cfg.context) * (size_t)nn->cfg.hidden;
    return nb;
}

/* Scratch: res, ln, atty, tmp (B,C), qkv (B,3C), fch, fchg (B,4C),
 * attention scores (NH,W); cross=true: enc (B,C) and xc (B,nx) after. */
static size_t scratch_floats(const tsf_nn *nn, size_t B)
{
    size_t C = (size_t)nn->cfg.hidden, W = (size_t)nn->cfg.context;
    return B * C * (4 + 3 + 8) + (size_t)nn->cfg.heads * W +
           (tsf_cross_on(&nn->cfg) ? B * (C + (size_t)nn->cfg.nextra) : 0);
}

// x (B,nin) -> o (B,K), appending this position's keys and values to the caches
static void step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o)
{
    const tsf_nn_backend *be = nn->be;
    size_t C = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, NH = (size_t)nn->cfg.heads;
    size_t W = ring(&nn->cfg), K = nn->K, B = r->B;
    const float *P = nn->params;
    tsf_nn_pattern pat = pattern(&nn->cfg);
    float *res = r->scratch, *ln = res + B * C, *atty = ln + B * C, *tmp = atty + B * C;
    float *qkv = tmp + B * C, *fch = qkv + 3 * B * C, *fchg = fch + 4 * B * C;
    float *sc = fchg + 4 * B * C, *enc = sc + (size_t)nn->cfg.heads * nn->cfg.context;
    float *xc = enc + B * C;
    size_t slot = r->pos % W, WC = (size_t)nn->cfg.context;
    int cross = tsf_cross_on(&nn->cfg);
    float *xcache = r->mem + 2 * L * B * W * C; /* cross=true: its caches (state_blocks) */
    tsf_nn_linear(nn, res, x, nn->w_in, nn->b_in, B, nn->nin, C);
    if (cross) tsf_cross_encode(nn, enc, xc, x, B);
    /* a shared-prefix run (prefix_run.c): the paths' own rings (R,B,C),
     * a slot's rows contiguous; else (B,W,C) rings, rows W C apart */
    size_t rw = r->R ? r->R : W, kvo = slot * C, kvp = W * C;
    if (r->R) {
        kvo = (r->pos - r->p0 - r->P) % r->R * B * C;
        kvp = C;
    }
    for (size_t l = 0; l < L; l++) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        float *kc = r->mem + l * B * W * C, *vc = r->mem + (L + l) * B * W * C;
        if (r->R) {
            kc = r->ks + l * B * rw * C;
            vc = r->vs + l * B * rw * C;
        }
        be->layernorm_forward(ln, NULL, NULL, res, P + lo->ln1w, P + lo->ln1b, B, C);
        tsf_nn_linear(nn, qkv, ln, lo->wqkv, lo->bqkv, B, C, 3 * C);
        /* k, v rows into the caches' slot; q rows packed (B,C) into ln,
         * free until ln2: three strided copies, not 3B (device backends) */
        be->copy2d(kc + kvo, kvp, qkv + C, 3 * C, C, B);
        be->copy2d(vc + kvo, kvp, qkv + 2 * C, 3 * C, C, B);
        be->copy2d(ln, C, qkv, 3 * C, C, B);
        if (r->R) /* scratch: the run has (NH,B,W) scores from sc on */
            be->attention_step_shared(atty, ln, r->kp + l * r->P * C, r->vp + l * r->P * C,
                                      r->P, r->p0, kc, vc, rw, B, C, NH, W, r->pos, sc);
        else if (ADDITIVE(&nn->cfg))
            be->additive_step(atty, ln, kc, vc, P + lo->av, B, NH, C / NH, W, r->pos, 1, sc);
        else if (sparse(&nn->cfg))
            be->sparse_attention_step(atty, ln, kc, vc, B, C, NH, r->pos, pat, sc);
        else
            be->attention_step(atty, ln, kc, vc, B, C, NH, W, r->pos, sc);
        tsf_nn_linear(nn, tmp, atty, lo->wo, lo->bo, B, C, C);
        be->residual_forward(res, res, tmp, B * C);
        if (cross) /* fch and fchg are free until the MLP */
            tsf_cross_step(nn, l, res, enc, xcache + l * B * WC * C,
                           xcache + (L + l) * B * WC * C, B, r->pos, ln, qkv, atty, tmp, fch,
                           sc);
        be->layernorm_forward(ln, NULL, NULL, res, P + lo->ln2w, P + lo->ln2b, B, C);
        tsf_nn_linear(nn, fch, ln, lo->wfc, lo->bfc, B, C, 4 * C);
        be->gelu_forward(fchg, fch, B * 4 * C);
        tsf_nn_linear(nn, tmp, fchg, lo->wpr, lo->bpr, B, 4 * C, C);
        be->residual_forward(res, res, tmp, B * C);
    }
    be->layernorm_forward(ln, NULL, NULL, res, P + nn->lnf_w, P + nn->lnf_b, B, C);
    tsf_nn_linear(nn, o, ln, nn->w_out, nn->b_out, B, C, K);
}

/* Layout as GPT-2's (names as nanoGPT's): embed, per block ln1, attn.qkv,
 * attn.proj, ln2, mlp.fc, mlp.proj, then lnf. */
static void layout(tsf_nn *nn)
{
    size_t H = (size_t)nn->cfg.hidden;
    char nm[32];
    nn->w_in = tsf_nn_add_tensor(nn, "embed.weight", H, nn->nin);
    nn->b_in = tsf_nn_add_tensor(nn, "embed.bias", H, 0);
    for (int l = 0; l < nn->cfg.layers; l++) {
        tsf_nn_layer_off *o = &nn->lo[l];
#define T_(field, suffix, r, cc)                                                              \
    snprintf(nm, sizeof nm, "h%d.%s", l, suffix);                                            \
    o->field = tsf_nn_add_tensor(nn, nm, r, cc)
        T_(ln1w, "ln1.weight", H, 0);
        T_(ln1b, "ln1.bias", H, 0);
        T_(wqkv, "attn.qkv.weight", 3 * H, H);
        T_(bqkv, "attn.qkv.bias", 3 * H, 0);
        if (ADDITIVE(&nn->cfg)) {
            T_(av, "attn.v", H, 0);
        }
        T_(wo, "attn.proj.weight", H, H);
        T_(bo, "attn.proj.bias", H, 0);
        T_(ln2w, "ln2.weight", H, 0);
        T_(ln2b, "ln2.bias", H, 0);
        T_(wfc, "mlp.fc.weight", 4 * H, H);
        T_(bfc, "mlp.fc.bias", 4 * H, 0);
        T_(wpr, "mlp.proj.weight", H, 4 * H);
        T_(bpr, "mlp.proj.bias", H, 0);
#undef T_
    }
    nn->lnf_w = tsf_nn_add_tensor(nn, "lnf.weight", H, 0);
    nn->lnf_b = tsf_nn_add_tensor(nn, "lnf.bias", H, 0);
    if (tsf_cross_on(&nn->cfg)) tsf_cross_layout(nn);
    nn->ftop = H;
}

/* GPT-2: N(0, 0.02), residual projections scaled by 1/sqrt(2L). */
static void init(tsf_nn *nn, float *P, gsl_rng *r)
{
    size_t H = (size_t)nn->cfg.hidden;
    double rs = 0.02 / sqrt(2.0 * nn->cfg.layers);
    tsf_nn_fill_normal(P + nn->w_in, H * nn->nin, 1.0 / sqrt((double)nn->nin), r);
    for (int l = 0; l < nn->cfg.layers; l++) {
        const tsf_nn_layer_off *o = &nn->lo[l];
        tsf_nn_fill_const(P + o->ln1w, H, 1.0f);
        tsf_nn_fill_const(P + o->ln2w, H, 1.0f);
        tsf_nn_fill_normal(P + o->wqkv, 3 * H * H, 0.02, r);
        /* additive scores: v as a linear layer's weights (fan-in hs) */
        if (ADDITIVE(&nn->cfg))
            tsf_nn_fill_uniform(P + o->av, H, sqrt((double)nn->cfg.heads / (double)H), r);
        tsf_nn_fill_normal(P + o->wo, H * H, rs, r);
        tsf_nn_fill_normal(P + o->wfc, 4 * H * H, 0.02, r);
        tsf_nn_fill_normal(P + o->wpr, 4 * H * H, rs, r);
    }
    tsf_nn_fill_const(P + nn->lnf_w, H, 1.0f);
    if (tsf_cross_on(&nn->cfg)) tsf_cross_init(nn, P, r);
}

static int check(const tsf_nn_config *c, char *why, size_t len, const char **key)
{
    *key = "heads";
    if (c->heads < 1 || c->hidden % c->heads) {
        snprintf(why, len, "d=%d is not a multiple of heads=%d", c->hidden, c->heads);
        return 1;
    }
    if (c->hp[0] < TSF_NN_PAT_DENSE || c->hp[0] > TSF_NN_PAT_STRIDED ||
        (c->hp[1] < 1 && (c->hp[0] == TSF_NN_PAT_LOCAL || c->hp[0] == TSF_NN_PAT_LOGSPARSE))) {
        snprintf(why, len, "unknown attention pattern %d or band %d", c->hp[0], c->hp[1]);
        *key = "pattern";
        return 1;
    }
    if (ADDITIVE(c) && sparse(c)) {
        snprintf(why, len, "attention=additive runs over the dense window only: drop pattern=%s",
                 c->hp[0] == TSF_NN_PAT_LOCAL ? "local"
                 : c->hp[0] == TSF_NN_PAT_LOGSPARSE ? "logsparse" : "strided");
        *key = "pattern";
        return 1;
    }
    if (c->hp[2] && (ADDITIVE(c) || sparse(c))) {
        snprintf(why, len, "cross=true runs with dense dot-product self-attention only: drop %s",
                 ADDITIVE(c)                        ? "attention=additive"
                 : c->hp[0] == TSF_NN_PAT_LOCAL     ? "pattern=local"
                 : c->hp[0] == TSF_NN_PAT_LOGSPARSE ? "pattern=logsparse"
                                                    : "pattern=strided");
        *key = "cross";
        return 1;
    }
    if (c->hp[0] == TSF_NN_PAT_STRIDED && c->heads % 2) {
        snprintf(why, len, "pattern=strided splits the heads in two halves: heads=%d is odd",
                 c->heads);
        return 1;
    }
    return 0;
}

int tsf_nn_transformer_shares_prefix(const tsf_nn_config *c)
{
    return !ADDITIVE(c) && !sparse(c) && !c->hp[2];
}

/* The prediction at t depends on positions back to t - L (R - 1) only:
 * each layer reaches R - 1 back (the window, or a pattern's largest offset). */
static size_t reach(const tsf_nn_config *c)
{
    return (size_t)c->layers * (ring(c) - 1);
}

static const tsf_nn_need sparse_needs[] = {TSF_NN_NEED(sparse_attention_forward),
                                           TSF_NN_NEED(sparse_attention_backward),
                                           TSF_NN_NEED(sparse_attention_step), {NULL, 0}};
static const tsf_nn_need additive_needs[] = {TSF_NN_NEED(additive_forward),
                                             TSF_NN_NEED(additive_backward),
                                             TSF_NN_NEED(additive_step), {NULL, 0}};
static const tsf_nn_need *cfg_needs(const tsf_nn_config *c)
{
    return ADDITIVE(c) ? additive_needs : sparse(c) ? sparse_needs : NULL;
}

/* Defaults (docs/neural.md): d=64, heads=4, layers=2, context=256. */
static const tsf_nn_hparam hparams[] = {
    {"d", "hidden", offsetof(tsf_nn_config, hidden), 1, 1024, 64, 0},
    {"heads", "heads", offsetof(tsf_nn_config, heads), 1, 64, 4, 0},
    {"layers", "layers", offsetof(tsf_nn_config, layers), 1, TSF_NN_MAX_LAYERS, 2, 0},
    {"context", "context", offsetof(tsf_nn_config, context), 2, 4096, 256, 0},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const char *needs_x(const tsf_nn_config *c)
{
    return c->hp[2] && !c->nextra
        ? "transformer(cross=true) attends from the series to its regressors, and there are "
          "none: give them with --xreg (columns, fourier(P,K) or calendar), or drop cross=true"
        : NULL;
}

/* Optional keys (in names and files only when not the default):
 * attention=dot, pattern=dense, band=8, cross=false. */
static const char *const attention_names[] = {"dot", "additive", NULL};
static const char *const pattern_names[] = {"dense", "local", "logsparse", "strided", NULL};
static const char *const cross_names[] = {"false", "true", NULL};
static const tsf_nn_opt opts[] = {
    {"attention", offsetof(tsf_nn_config, hp[3]), attention_names, 0, 1, 0},
    {"pattern", offsetof(tsf_nn_config, hp[0]), pattern_names, 0, 3, TSF_NN_PAT_DENSE},
    {"band", offsetof(tsf_nn_config, hp[1]), NULL, 1, 4096, 8},
    {"cross", offsetof(tsf_nn_config, hp[2]), cross_names, 0, 1, 0},
    {NULL, 0, NULL, 0, 0, 0},
};

/* Windows are twice as long as the RNNs': fewer per batch. */
const tsf_nn_arch_ops tsf_nn_arch_transformer = {
    .name = "transformer", .title = "Transformer", .hp = hparams, .batch = 8, .lr = 1e-3,
    .check = check, .reach = reach, .layout = layout, .init = init, .acts_floats = acts_floats,
    .fb = fb, .state_blocks = state_blocks, .scratch_floats = scratch_floats, .step = step,
    .cfg_needs = cfg_needs, .opts = opts, .needs_x = needs_x,
    /* pruned attention networks: the early ramp end and the row rescaling
     * (docs/neural.md, "Schedule": measured per architecture) */
    .prune_end = TSF_NN_PRUNE_END_ATTN, .prune_rescale = 1};

static tsf_status parse_transformer(const tsf_spec *s, void **impl)
{
    return tsf_neural_parse(s, &tsf_nn_arch_transformer, impl);
}
TSF_NEURAL_TYPE(tsf_transformer_type, "transformer", parse_transformer);
