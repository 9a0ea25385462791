/* Stacked GRU / LSTM networks with a distributional head (DeepAR,
 * Salinas et al. 2020, sec. 3): the training pass over B windows of T
 * positions (time-major inside, so each step's state is one contiguous
 * (B,H) block), its backward pass (BPTT), and the one-position step. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "neural.h"
#include "prune.h"

static int is_gru(const tsf_nn *nn) { return nn->cfg.arch == &tsf_nn_arch_gru; }

/* attention=additive (hp[0] = 1) with window hp[1]: the top layer's h_t
 * attends over h_{t-W+1..t} (itself included, so the window is never
 * empty), score v . tanh(W_q h_t + b_q + W_k h_j) (Bahdanau et al. 2015,
 * eq. 6, with the decoder's own states as the annotations), and the head
 * reads [h_t ; c_t] with c_t = sum_j p_tj h_j.  No distance bias: the
 * states carry their time.  Attention dim = hidden. */
#define ADDITIVE(c) ((c)->hp[0] == 1)
#define WIN(c) ((size_t)(c)->hp[1])

typedef struct {
    float *x, *y, *zero;          /* (T,B,nin), (T,B), (B,H) zeros */
    float *xg[TSF_NN_MAX_LAYERS]; /* (T,B,GH) input projections */
    float *hg[TSF_NN_MAX_LAYERS]; /* (T,B,GH) recurrent projections */
    float *gt[TSF_NN_MAX_LAYERS]; /* (T,B,GH) activated gates */
    float *hs[TSF_NN_MAX_LAYERS]; /* (T,B,H) hidden states */
    float *cs[TSF_NN_MAX_LAYERS]; /* (T,B,H) LSTM cells */
    float *o, *dout;              /* (T,B,K) */
    float *dh_a, *dh_b;           /* (T,B,H) gradients w.r.t. layer outputs */
    float *dxg, *dhg;             /* (T,B,GH) */
    float *dh, *dhc, *dc0, *dc1;  /* (B,H) */
    float *pre;                   /* (B,GH) */
    /* attention=additive: W_q h + b_q, W_k h, [h ; ctx] (T,B,2H) and its
     * gradient, probabilities (B,1,T,W), dQ, dK, backward scratch (W + H) */
    float *aq, *ak, *cat, *att, *dcat, *daq, *dak, *ascr;
} rnn_acts;

static size_t carve(const tsf_nn *nn, size_t B, size_t T, float *base, rnn_acts *a)
{
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers;
    size_t G = is_gru(nn) ? 3 : 4, K = nn->K;
    size_t TB = T * B, off = 0;
    rnn_acts tmp;
    if (!a) a = &tmp;
    TSF_NN_TAKE(a->x, TB * nn->nin);
    TSF_NN_TAKE(a->y, TB);
    TSF_NN_TAKE(a->zero, B * H);
    for (size_t l = 0; l < L; l++) {
        TSF_NN_TAKE(a->xg[l], TB * G * H);
        TSF_NN_TAKE(a->hg[l], TB * G * H);
        TSF_NN_TAKE(a->gt[l], TB * G * H);
        TSF_NN_TAKE(a->hs[l], TB * H);
        if (G == 4) TSF_NN_TAKE(a->cs[l], TB * H);
        else a->cs[l] = NULL;
    }
    TSF_NN_TAKE(a->o, TB * K);
    TSF_NN_TAKE(a->dout, TB * K);
    TSF_NN_TAKE(a->dh_a, TB * H);
    TSF_NN_TAKE(a->dh_b, TB * H);
    TSF_NN_TAKE(a->dxg, TB * G * H);
    TSF_NN_TAKE(a->dhg, TB * G * H);
    TSF_NN_TAKE(a->dh, B * H);
    TSF_NN_TAKE(a->dhc, B * H);
    TSF_NN_TAKE(a->dc0, B * H);
    TSF_NN_TAKE(a->dc1, B * H);
    TSF_NN_TAKE(a->pre, B * G * H);
    if (ADDITIVE(&nn->cfg)) {
        size_t W = WIN(&nn->cfg);
        TSF_NN_TAKE(a->aq, TB * H);
        TSF_NN_TAKE(a->ak, TB * H);
        TSF_NN_TAKE(a->cat, TB * 2 * H);
        TSF_NN_TAKE(a->att, B * T * W);
        TSF_NN_TAKE(a->dcat, TB * 2 * H);
        TSF_NN_TAKE(a->daq, TB * H);
        TSF_NN_TAKE(a->dak, TB * H);
        TSF_NN_TAKE(a->ascr, W + H);
    }
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
    const tsf_nn_backend *be = nn->be;
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, F = nn->nin;
    int gru = is_gru(nn);
    size_t G = gru ? 3 : 4, GH = G * H, K = nn->K, TB = T * B;
    rnn_acts a = {0}; /* carve() sets every field; {0} only quiets -O3 */
    carve(nn, B, T, A->mem, &a);
    const float *P = nn->params;
    /* inputs to time-major order: in place on the CPU, through the host
     * staging buffer and one upload each on a device */
    float *hx = be->on_device ? A->stage : a.x, *hy = be->on_device ? hx + TB * F : a.y;
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            memcpy(hx + (t * B + b) * F, x + (b * T + t) * F, F * sizeof(float));
            hy[t * B + b] = y[b * T + t];
        }
    if (be->on_device) {
        be->upload(a.x, hx, TB * F);
        be->upload(a.y, hy, TB);
    }
    be->zero(a.zero, B * H);

    /* forward, layer by layer: the input projection of all T steps is one GEMM */
    for (size_t l = 0; l < L; l++) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        size_t I = l == 0 ? F : H;
        const float *in = l == 0 ? a.x : a.hs[l - 1];
        tsf_nn_mm_forward(nn, A, a.xg[l], in, P + lo->w_ih, P + lo->b_ih, TB, I, GH);
        for (size_t t = 0; t < T; t++) {
            const float *hp = t ? a.hs[l] + (t - 1) * B * H : a.zero;
            float *hg = a.hg[l] + t * B * GH;
            tsf_nn_mm_forward(nn, A, hg, hp, P + lo->w_hh, P + lo->b_hh, B, H, GH);
            if (gru) {
                be->gru_forward(a.hs[l] + t * B * H, a.gt[l] + t * B * GH, a.xg[l] + t * B * GH,
                                hg, hp, B, H);
            } else {
                be->residual_forward(a.pre, a.xg[l] + t * B * GH, hg, B * GH);
                be->lstm_forward(a.hs[l] + t * B * H, a.cs[l] + t * B * H, a.gt[l] + t * B * GH,
                                 a.pre, t ? a.cs[l] + (t - 1) * B * H : a.zero, B, H);
            }
        }
    }
    const float *top = a.hs[L - 1];
    const tsf_nn_layer_off *tl = &nn->lo[L - 1];
    /* time-major (T,B,.) rows: (b, t) at t*B + b */
    tsf_nn_add_geom g = {B, T, 1, H, WIN(&nn->cfg), H, B * H, 2 * H, B * 2 * H, 0};
    int att = ADDITIVE(&nn->cfg);
    if (att) {
        tsf_nn_mm_forward(nn, A, a.aq, top, P + tl->aq, P + tl->abq, TB, H, H);
        tsf_nn_mm_forward(nn, A, a.ak, top, P + tl->ak, NULL, TB, H, H);
        be->copy2d(a.cat, 2 * H, top, H, H, TB);
        be->additive_forward(a.cat + H, a.att, a.aq, a.ak, top, P + tl->av, &g);
    }
    tsf_nn_mm_forward(nn, A, a.o, att ? a.cat : top, P + nn->w_out, P + nn->b_out, TB, nn->ftop, K);
    double loss = tsf_nn_head_loss(nn, NULL, grads ? a.dout : NULL, a.o, a.y, TB, weight);
    if (o) {
        const float *ho = a.o;
        if (be->on_device) {
            be->download(A->stage, a.o, TB * K);
            ho = A->stage;
        }
        for (size_t b = 0; b < B; b++)
            for (size_t t = 0; t < T; t++)
                memcpy(o + (b * T + t) * K, ho + (t * B + b) * K, K * sizeof(float));
    }
    if (!grads) return loss;

    /* backward */
    float *dh_top = a.dh_a, *dh_low = a.dh_b;
    be->zero(dh_top, TB * H);
    if (att) {
        be->zero(a.dcat, TB * 2 * H);
        tsf_nn_mm_backward(nn, A, a.dcat, grads + nn->w_out, grads + nn->b_out, a.dout, a.cat,
                           P + nn->w_out, TB, 2 * H, K);
        be->copy2d(dh_top, H, a.dcat, 2 * H, H, TB);
        be->zero(a.daq, TB * H);
        be->zero(a.dak, TB * H);
        be->additive_backward(a.daq, a.dak, dh_top, grads + tl->av, a.dcat + H, a.aq, a.ak, top,
                              P + tl->av, a.att, &g, a.ascr);
        tsf_nn_mm_backward(nn, A, dh_top, grads + tl->aq, grads + tl->abq, a.daq, top, P + tl->aq,
                           TB, H, H);
        tsf_nn_mm_backward(nn, A, dh_top, grads + tl->ak, NULL, a.dak, top, P + tl->ak, TB, H, H);
    } else {
        tsf_nn_mm_backward(nn, A, dh_top, grads + nn->w_out, grads + nn->b_out, a.dout, top,
                           P + nn->w_out, TB, H, K);
    }
    for (size_t l = L; l-- > 0;) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        size_t I = l == 0 ? F : H;
        float *dc_in = a.dc0, *dc_out = a.dc1;
        be->zero(a.dhc, B * H);
        be->zero(dc_in, B * H);
        for (size_t t = T; t-- > 0;) {
            const float *hp = t ? a.hs[l] + (t - 1) * B * H : a.zero;
            be->residual_forward(a.dh, dh_top + t * B * H, a.dhc, B * H);
            be->zero(a.dhc, B * H);
            float *dxg = a.dxg + t * B * GH, *dhg = gru ? a.dhg + t * B * GH : dxg;
            if (gru) {
                be->gru_backward(dxg, dhg, a.dhc, a.dh, a.gt[l] + t * B * GH,
                                 a.hg[l] + t * B * GH, hp, B, H);
            } else {
                be->lstm_backward(dxg, dc_out, a.dh, dc_in, a.gt[l] + t * B * GH,
                                  a.cs[l] + t * B * H, t ? a.cs[l] + (t - 1) * B * H : a.zero, B, H);
                float *sw = dc_in;
                dc_in = dc_out;
                dc_out = sw;
            }
            if (t) tsf_nn_mm_backward(nn, A, a.dhc, NULL, NULL, dhg, NULL, P + lo->w_hh, B, H, GH);
        }
        const float *dHG = gru ? a.dhg : a.dxg;
        /* recurrent weights: sum over t >= 1 of dhg_t h_{t-1}^T, one GEMM */
        if (T > 1)
            tsf_nn_mm_backward(nn, A, NULL, grads + lo->w_hh, NULL, dHG + B * GH, a.hs[l],
                               P + lo->w_hh, (T - 1) * B, H, GH);
        tsf_nn_mm_backward(nn, A, NULL, NULL, grads + lo->b_hh, dHG, NULL, NULL, TB, H, GH);
        const float *in = l == 0 ? a.x : a.hs[l - 1];
        if (l) be->zero(dh_low, TB * H);
        if (!l && A->dx) { /* global models' embeddings: the input gradient, time-major */
            be->zero(A->dx, TB * I);
            A->dx_tmajor = 1;
        }
        tsf_nn_mm_backward(nn, A, l ? dh_low : A->dx, grads + lo->w_ih, grads + lo->b_ih, a.dxg, in,
                           P + lo->w_ih, TB, I, GH);
        float *sw = dh_top;
        dh_top = dh_low;
        dh_low = sw;
    }
    return loss;
}

/* Run state: h (L,B,H), then for the LSTM c (L,B,H): one block per
 * layer and kind; with attention=additive two more, the rings of the
 * top layer's last W keys W_k h_j and states h_j (B,W,H), position a in
 * slot a % W. */
static size_t state_blocks(const tsf_nn *nn, size_t *n)
{
    size_t L = (size_t)nn->cfg.layers, nb = (is_gru(nn) ? 1 : 2) * L;
    for (size_t j = 0; n && j < nb; j++) n[j] = (size_t)nn->cfg.hidden;
    if (!ADDITIVE(&nn->cfg)) return nb;
    for (size_t j = nb; n && j < nb + 2; j++) n[j] = WIN(&nn->cfg) * (size_t)nn->cfg.hidden;
    return nb + 2;
}

/* Scratch: xg, hg, gates, pre (B,4H) and hnew, cnew (B,H); attention:
 * query, key (B,H), [h ; ctx] (B,2H), scores (W). */
static size_t scratch_floats(const tsf_nn *nn, size_t B)
{
    size_t H = (size_t)nn->cfg.hidden;
    return 4 * B * 4 * H + 2 * B * H + (ADDITIVE(&nn->cfg) ? 4 * B * H + WIN(&nn->cfg) : 0);
}

// x (B,nin) -> o (B,K)
static void step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o)
{
    const tsf_nn_backend *be = nn->be;
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, B = r->B;
    int gru = is_gru(nn);
    size_t GH = (gru ? 3 : 4) * H, K = nn->K;
    const float *P = nn->params;
    float *xg = r->scratch, *hg = xg + B * 4 * H, *gt = hg + B * 4 * H, *pre = gt + B * 4 * H;
    float *hn = pre + B * 4 * H, *cn = hn + B * H;
    const float *in = x;
    for (size_t l = 0; l < L; l++) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        size_t I = l == 0 ? nn->nin : H;
        float *h = r->mem + l * B * H;
        tsf_nn_linear(nn, xg, in, lo->w_ih, lo->b_ih, B, I, GH);
        tsf_nn_linear(nn, hg, h, lo->w_hh, lo->b_hh, B, H, GH);
        if (gru) {
            be->gru_forward(hn, gt, xg, hg, h, B, H);
        } else {
            float *c = r->mem + (L + l) * B * H;
            be->residual_forward(pre, xg, hg, B * GH);
            be->lstm_forward(hn, cn, gt, pre, c, B, H);
            be->copy(c, cn, B * H);
        }
        be->copy(h, hn, B * H);
        in = h;
    }
    if (ADDITIVE(&nn->cfg)) {
        const tsf_nn_layer_off *tl = &nn->lo[L - 1];
        size_t W = WIN(&nn->cfg), slot = r->pos % W, nb = (gru ? 1 : 2) * L;
        float *kr = r->mem + nb * B * H, *vr = kr + B * W * H;
        float *q = cn + B * H, *k = q + B * H, *cat = k + B * H, *sc = cat + 2 * B * H;
        be->matmul_forward(q, in, P + tl->aq, P + tl->abq, B, H, H);
        be->matmul_forward(k, in, P + tl->ak, NULL, B, H, H);
        be->copy2d(kr + slot * H, W * H, k, H, H, B);
        be->copy2d(vr + slot * H, W * H, in, H, H, B);
        be->copy2d(cat, 2 * H, in, H, H, B);
        be->additive_step(hn, q, kr, vr, P + tl->av, B, 1, H, W, r->pos, 0, sc);
        be->copy2d(cat + H, 2 * H, hn, H, H, B);
        in = cat;
    }
    tsf_nn_linear(nn, o, in, nn->w_out, nn->b_out, B, nn->ftop, K);
}

/* Layout: per layer weight_ih (GH,I), bias_ih, weight_hh (GH,H), bias_hh
 * as PyTorch's nn.GRU / nn.LSTM (I = nin for the first layer, else H). */
static void layout(tsf_nn *nn)
{
    size_t H = (size_t)nn->cfg.hidden, G = is_gru(nn) ? 3 : 4;
    char nm[32];
    for (int l = 0; l < nn->cfg.layers; l++) {
        size_t I = l == 0 ? nn->nin : H;
        tsf_nn_layer_off *o = &nn->lo[l];
#define T_(field, suffix, r, cc)                                                              \
    snprintf(nm, sizeof nm, "h%d.%s", l, suffix);                                            \
    o->field = tsf_nn_add_tensor(nn, nm, r, cc)
        T_(w_ih, "weight_ih", G * H, I);
        T_(b_ih, "bias_ih", G * H, 0);
        T_(w_hh, "weight_hh", G * H, H);
        T_(b_hh, "bias_hh", G * H, 0);
#undef T_
    }
    nn->ftop = H;
    if (ADDITIVE(&nn->cfg)) {
        tsf_nn_layer_off *o = &nn->lo[nn->cfg.layers - 1];
        o->aq = tsf_nn_add_tensor(nn, "attn.query.weight", H, H);
        o->abq = tsf_nn_add_tensor(nn, "attn.query.bias", H, 0);
        o->ak = tsf_nn_add_tensor(nn, "attn.key.weight", H, H);
        o->av = tsf_nn_add_tensor(nn, "attn.v", H, 0);
        nn->ftop = 2 * H;
    }
}

/* PyTorch's U(-1/sqrt(H), 1/sqrt(H)); LSTM forget-gate bias 1
 * (Jozefowicz et al. 2015). */
static void init(tsf_nn *nn, float *P, gsl_rng *r)
{
    size_t H = (size_t)nn->cfg.hidden, G = is_gru(nn) ? 3 : 4;
    double a = 1.0 / sqrt((double)H);
    for (int l = 0; l < nn->cfg.layers; l++) {
        const tsf_nn_layer_off *o = &nn->lo[l];
        size_t I = l == 0 ? nn->nin : H;
        tsf_nn_fill_uniform(P + o->w_ih, G * H * I, a, r);
        tsf_nn_fill_uniform(P + o->b_ih, G * H, a, r);
        tsf_nn_fill_uniform(P + o->w_hh, G * H * H, a, r);
        tsf_nn_fill_uniform(P + o->b_hh, G * H, a, r);
        if (!is_gru(nn)) {
            tsf_nn_fill_const(P + o->b_ih + H, H, 1.0f);
            tsf_nn_fill_const(P + o->b_hh + H, H, 0.0f);
        }
    }
    if (ADDITIVE(&nn->cfg)) {
        const tsf_nn_layer_off *o = &nn->lo[nn->cfg.layers - 1];
        tsf_nn_fill_uniform(P + o->aq, H * H, a, r);
        tsf_nn_fill_uniform(P + o->ak, H * H, a, r);
        tsf_nn_fill_uniform(P + o->av, H, a, r);
    }
}

static size_t reach(const tsf_nn_config *c)
{
    (void)c;
    return SIZE_MAX;
}

/* Defaults (docs/neural.md): hidden=64, layers=2, context=128. */
static const tsf_nn_hparam hparams[] = {
    {"hidden", "hidden", offsetof(tsf_nn_config, hidden), 1, 1024, 64, 0},
    {"layers", "layers", offsetof(tsf_nn_config, layers), 1, TSF_NN_MAX_LAYERS, 2, 0},
    {"context", "context", offsetof(tsf_nn_config, context), 2, 4096, 128, 0},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const char *const attention_names[] = {"none", "additive", NULL};
static const tsf_nn_opt opts[] = {
    {"attention", offsetof(tsf_nn_config, hp[0]), attention_names, 0, 1, 0},
    {"window", offsetof(tsf_nn_config, hp[1]), NULL, 1, 4096, 64},
    {NULL, 0, NULL, 0, 0, 0},
};

static const tsf_nn_need needs[] = {TSF_NN_NEED(additive_forward),
                                    TSF_NN_NEED(additive_backward),
                                    TSF_NN_NEED(additive_step), {NULL, 0}};

#define RNN_OPS(var, nm, ttl)                                                                  \
    const tsf_nn_arch_ops var = {                                                              \
        .name = nm, .title = ttl, .hp = hparams, .batch = 32, .lr = 3e-3, .reach = reach,     \
        .layout = layout, .init = init, .acts_floats = acts_floats, .fb = fb,                 \
        .state_blocks = state_blocks, .scratch_floats = scratch_floats, .step = step,         \
        .needs = needs, .opts = opts}
RNN_OPS(tsf_nn_arch_gru, "gru", "GRU");
RNN_OPS(tsf_nn_arch_lstm, "lstm", "LSTM");

/* window= only means something with attention=additive. */
static tsf_status parse_rnn(const tsf_spec *s, const tsf_nn_arch_ops *arch, void **impl)
{
    tsf_status st = tsf_neural_parse(s, arch, impl);
    tsf_spec_arg *w = st ? NULL : tsf_spec_find(s, 0, "window");
    if (!w || ADDITIVE(&((tsf_neural *)*impl)->cfg)) return st;
    tsf_neural_free(*impl);
    *impl = NULL;
    return tsf_spec_error(s, w->pos, TSF_EPARSE, "window= goes with attention=additive");
}
static tsf_status parse_gru(const tsf_spec *s, void **impl)
{
    return parse_rnn(s, &tsf_nn_arch_gru, impl);
}
static tsf_status parse_lstm(const tsf_spec *s, void **impl)
{
    return parse_rnn(s, &tsf_nn_arch_lstm, impl);
}
TSF_NEURAL_TYPE(tsf_gru_type, "gru", parse_gru);
TSF_NEURAL_TYPE(tsf_lstm_type, "lstm", parse_lstm);
