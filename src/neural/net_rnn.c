/* Stacked GRU / LSTM networks with a distributional head (DeepAR,
 * Salinas et al. 2020, sec. 3): the training pass over B windows of T
 * positions (time-major inside, so each step's state is one contiguous
 * (B,H) block), its backward pass (BPTT), and the one-position step. */
#include <string.h>
#include "net.h"

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
} rnn_acts;

static size_t carve(const tsf_nn *nn, size_t B, size_t T, float *base, rnn_acts *a)
{
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers;
    size_t G = nn->cfg.arch == TSF_NN_GRU ? 3 : 4, K = tsf_nn_head_k(nn->cfg.head);
    size_t TB = T * B, off = 0;
#define TAKE(ptr, n)                                                                          \
    do {                                                                                      \
        if (base) (ptr) = base + off;                                                         \
        off += (n);                                                                           \
    } while (0)
    rnn_acts tmp;
    if (!a) a = &tmp;
    TAKE(a->x, TB * nn->nin);
    TAKE(a->y, TB);
    TAKE(a->zero, B * H);
    for (size_t l = 0; l < L; l++) {
        TAKE(a->xg[l], TB * G * H);
        TAKE(a->hg[l], TB * G * H);
        TAKE(a->gt[l], TB * G * H);
        TAKE(a->hs[l], TB * H);
        if (G == 4) TAKE(a->cs[l], TB * H);
        else a->cs[l] = NULL;
    }
    TAKE(a->o, TB * K);
    TAKE(a->dout, TB * K);
    TAKE(a->dh_a, TB * H);
    TAKE(a->dh_b, TB * H);
    TAKE(a->dxg, TB * G * H);
    TAKE(a->dhg, TB * G * H);
    TAKE(a->dh, B * H);
    TAKE(a->dhc, B * H);
    TAKE(a->dc0, B * H);
    TAKE(a->dc1, B * H);
    TAKE(a->pre, B * G * H);
#undef TAKE
    return off;
}

size_t tsf_nn_rnn_acts_floats(const tsf_nn *nn, size_t B, size_t T)
{
    return carve(nn, B, T, NULL, NULL);
}

// x (B,T,nin), y (B,T) -> o (B,T,K); returns sum nll; grads += weight * d/dparams
double tsf_nn_rnn_fb(const tsf_nn *nn, tsf_nn_acts *A, const float *x, const float *y, size_t B,
                     size_t T, float *o, float *grads, float weight)
{
    const tsf_nn_backend *be = nn->be;
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, F = nn->nin;
    int gru = nn->cfg.arch == TSF_NN_GRU;
    size_t G = gru ? 3 : 4, GH = G * H, K = tsf_nn_head_k(nn->cfg.head), TB = T * B;
    rnn_acts a;
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
        be->matmul_forward(a.xg[l], in, P + lo->w_ih, P + lo->b_ih, TB, I, GH);
        for (size_t t = 0; t < T; t++) {
            const float *hp = t ? a.hs[l] + (t - 1) * B * H : a.zero;
            float *hg = a.hg[l] + t * B * GH;
            be->matmul_forward(hg, hp, P + lo->w_hh, P + lo->b_hh, B, H, GH);
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
    be->matmul_forward(a.o, top, P + nn->w_out, P + nn->b_out, TB, H, K);
    double loss = be->head_loss(NULL, grads ? a.dout : NULL, a.o, a.y, TB, nn->cfg.head, weight);
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
    be->matmul_backward(dh_top, grads + nn->w_out, grads + nn->b_out, a.dout, top,
                        P + nn->w_out, TB, H, K);
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
            if (t) be->matmul_backward(a.dhc, NULL, NULL, dhg, NULL, P + lo->w_hh, B, H, GH);
        }
        const float *dHG = gru ? a.dhg : a.dxg;
        /* recurrent weights: sum over t >= 1 of dhg_t h_{t-1}^T, one GEMM */
        if (T > 1)
            be->matmul_backward(NULL, grads + lo->w_hh, NULL, dHG + B * GH, a.hs[l],
                                P + lo->w_hh, (T - 1) * B, H, GH);
        be->matmul_backward(NULL, NULL, grads + lo->b_hh, dHG, NULL, NULL, TB, H, GH);
        const float *in = l == 0 ? a.x : a.hs[l - 1];
        if (l) be->zero(dh_low, TB * H);
        be->matmul_backward(l ? dh_low : NULL, grads + lo->w_ih, grads + lo->b_ih, a.dxg, in,
                            P + lo->w_ih, TB, I, GH);
        float *sw = dh_top;
        dh_top = dh_low;
        dh_low = sw;
    }
    return loss;
}

/* Run state: h, c (L,B,H); scratch xg, hg, gates, pre (B,GH) and hnew, cnew (B,H). */
size_t tsf_nn_rnn_run_floats(const tsf_nn *nn, size_t B)
{
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers;
    return 2 * L * B * H + 4 * B * 4 * H + 2 * B * H;
}

void tsf_nn_rnn_run_layout(const tsf_nn *nn, tsf_nn_run *r)
{
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers;
    r->h = r->mem;
    r->c = nn->cfg.arch == TSF_NN_LSTM ? r->mem + L * r->B * H : NULL;
    r->scratch = r->mem + 2 * L * r->B * H;
}

// x (B,nin) -> o (B,K)
void tsf_nn_rnn_step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o)
{
    const tsf_nn_backend *be = nn->be;
    size_t H = (size_t)nn->cfg.hidden, L = (size_t)nn->cfg.layers, B = r->B;
    int gru = nn->cfg.arch == TSF_NN_GRU;
    size_t GH = (gru ? 3 : 4) * H, K = tsf_nn_head_k(nn->cfg.head);
    const float *P = nn->params;
    float *xg = r->scratch, *hg = xg + B * 4 * H, *gt = hg + B * 4 * H, *pre = gt + B * 4 * H;
    float *hn = pre + B * 4 * H, *cn = hn + B * H;
    const float *in = x;
    for (size_t l = 0; l < L; l++) {
        const tsf_nn_layer_off *lo = &nn->lo[l];
        size_t I = l == 0 ? nn->nin : H;
        float *h = r->h + l * B * H;
        be->matmul_forward(xg, in, P + lo->w_ih, P + lo->b_ih, B, I, GH);
        be->matmul_forward(hg, h, P + lo->w_hh, P + lo->b_hh, B, H, GH);
        if (gru) {
            be->gru_forward(hn, gt, xg, hg, h, B, H);
        } else {
            float *c = r->c + l * B * H;
            be->residual_forward(pre, xg, hg, B * GH);
            be->lstm_forward(hn, cn, gt, pre, c, B, H);
            be->copy(c, cn, B * H);
        }
        be->copy(h, hn, B * H);
        in = h;
    }
    be->matmul_forward(o, in, P + nn->w_out, P + nn->b_out, B, H, K);
}
