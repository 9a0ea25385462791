/* WaveNet (van den Oord et al. 2016) for one-step-ahead densities: an
 * input 1x1 convolution to C channels, then layers of causal dilated
 * convolutions (kernel KW, dilations 1, 2, ..., 2^(L-1), repeated
 * `stacks` times), each a gated unit a = tanh(W_f * h) . sigmoid(W_g * h)
 * with a 1x1 residual (h += W_r a; not in the last layer, whose residual
 * output nothing reads) and a 1x1 skip connection (s += W_s a); then
 * ReLU, a 1x1 convolution S -> S, ReLU and the head.  Positions before a
 * window's (or the series') start are zeros.
 *
 * The one-step update is the fast generation of Paine et al. (2016): each
 * layer keeps a queue (ring) of its last (KW-1) d + 1 inputs, so a new
 * position costs O(layers x KW x C^2), not a pass over the receptive
 * field; the queues are the streaming state.
 *
 * Hyperparameters: hidden = C (channels), hp[0] = S (skip channels),
 * hp[1] = KW (kernel), hp[2] = stacks; layers and context 0 = auto. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "neural.h"
#include "prune.h"

#define SKIP(c) ((size_t)(c)->hp[0])
#define KW(c) ((size_t)(c)->hp[1])
#define STACKS(c) ((size_t)(c)->hp[2])
#define WN_MAX_LAYERS 24 /* layers x stacks */

static size_t nlayers(const tsf_nn_config *c) { return (size_t)c->layers * STACKS(c); }
static size_t dilation(const tsf_nn_config *c, size_t i)
{
    return (size_t)1 << (i % (size_t)c->layers);
}
/* queue length of layer i: its input now and (KW-1) d back */
static size_t qlen(const tsf_nn_config *c, size_t i) { return (KW(c) - 1) * dilation(c, i) + 1; }

/* receptive field: positions the output at t reads, t included */
static size_t receptive(const tsf_nn_config *c, int layers)
{
    return 1 + STACKS(c) * (KW(c) - 1) * (((size_t)1 << layers) - 1);
}

static size_t reach(const tsf_nn_config *c) { return receptive(c, c->layers) - 1; }

/* Auto layers: the smallest depth whose receptive field is at least
 * 2 x period and at least 32 positions (at most 16); auto context: twice
 * the receptive field, at least 128, at most 4096. */
static void configure(tsf_nn_config *c)
{
    if (!c->layers) {
        size_t want = 2 * (size_t)c->period > 32 ? 2 * (size_t)c->period : 32;
        c->layers = 1;
        while (c->layers < 16 && receptive(c, c->layers) < want) c->layers++;
        while ((size_t)c->layers * STACKS(c) > WN_MAX_LAYERS) c->layers--;
    }
    if (!c->context) {
        size_t rf = receptive(c, c->layers), ctx = 2 * rf < 128 ? 128 : 2 * rf;
        c->context = ctx > 4096 ? 4096 : (int)ctx;
    }
}

static int check(const tsf_nn_config *c, char *why, size_t len, const char **key)
{
    if ((size_t)c->layers * STACKS(c) <= WN_MAX_LAYERS) return 0;
    snprintf(why, len, "layers x stacks = %d x %d is more than %d layers", c->layers,
             c->hp[2], WN_MAX_LAYERS);
    *key = "stacks";
    return 1;
}

/* Parameter offsets of layer i. */
typedef struct { size_t wc, bc, wr, br, ws, bs; } wn_off;

static size_t layer_first_tensor(size_t i) { return 2 + 6 * i; }

static wn_off offsets(const tsf_nn *nn, size_t i)
{
    const tsf_nn_tensor *t = nn->tens + layer_first_tensor(i);
    wn_off o = {t[0].off, t[1].off, 0, 0, 0, 0};
    int last = i + 1 == nlayers(&nn->cfg);
    if (!last) {
        o.wr = t[2].off;
        o.br = t[3].off;
    }
    o.ws = t[last ? 2 : 4].off;
    o.bs = t[last ? 3 : 5].off;
    return o;
}

static void layout(tsf_nn *nn)
{
    const tsf_nn_config *c = &nn->cfg;
    size_t C = (size_t)c->hidden, S = SKIP(c), NL = nlayers(c);
    char nm[48];
    nn->w_in = tsf_nn_add_tensor(nn, "input.weight", C, nn->nin);
    nn->b_in = tsf_nn_add_tensor(nn, "input.bias", C, 0);
    for (size_t i = 0; i < NL; i++) {
#define T_(suffix, r, cc)                                                                      \
    snprintf(nm, sizeof nm, "l%zu.%s", i, suffix);                                            \
    tsf_nn_add_tensor(nn, nm, r, cc)
        T_("conv.weight", 2 * C, KW(c) * C);
        T_("conv.bias", 2 * C, 0);
        if (i + 1 < NL) {
            T_("res.weight", C, C);
            T_("res.bias", C, 0);
        }
        T_("skip.weight", S, C);
        T_("skip.bias", S, 0);
#undef T_
    }
    nn->lnf_w = tsf_nn_add_tensor(nn, "out.weight", S, S);
    nn->lnf_b = tsf_nn_add_tensor(nn, "out.bias", S, 0);
    nn->ftop = S;
}

/* PyTorch's Conv1d default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
 * weights and biases. */
static void init(tsf_nn *nn, float *P, gsl_rng *r)
{
    for (size_t k = 0; k < nn->ntens; k++) {
        const tsf_nn_tensor *t = &nn->tens[k];
        size_t fan = t->ndim == 2 ? t->shape[1] : nn->tens[k - 1].shape[1];
        size_t n = t->shape[0] * (t->ndim == 2 ? t->shape[1] : 1);
        tsf_nn_fill_uniform(P + t->off, n, 1.0 / sqrt((double)fan), r);
    }
}

/* ---- training pass ---- */
typedef struct {
    float *x, *y;                  /* (BT,nin), (BT) */
    float *h[WN_MAX_LAYERS + 1];   /* (BT,C) layer inputs; h[0] the input conv's output */
    float *col[WN_MAX_LAYERS];     /* (BT,KW*C) */
    float *z[WN_MAX_LAYERS];       /* (BT,2C) pre-activations */
    float *a[WN_MAX_LAYERS];       /* (BT,C) gated units */
    float *skip, *u, *v, *w;       /* (BT,S): skip sum, relu, out conv, relu */
    float *o, *dout;               /* (BT,K) */
    float *dh, *da, *dz, *dcol, *ds, *dtmp, *tmp; /* gradients, scratch */
} wn_acts;

static size_t carve(const tsf_nn *nn, size_t B, size_t T, float *base, wn_acts *a)
{
    const tsf_nn_config *c = &nn->cfg;
    size_t C = (size_t)c->hidden, S = SKIP(c), NL = nlayers(c), BT = B * T, off = 0;
    size_t CS = C > S ? C : S;
    wn_acts tmp;
    if (!a) a = &tmp;
    TSF_NN_TAKE(a->x, BT * nn->nin);
    TSF_NN_TAKE(a->y, BT);
    for (size_t i = 0; i < NL; i++) {
        TSF_NN_TAKE(a->h[i], BT * C);
        TSF_NN_TAKE(a->col[i], BT * KW(c) * C);
        TSF_NN_TAKE(a->z[i], BT * 2 * C);
        TSF_NN_TAKE(a->a[i], BT * C);
    }
    TSF_NN_TAKE(a->skip, BT * S);
    TSF_NN_TAKE(a->u, BT * S);
    TSF_NN_TAKE(a->v, BT * S);
    TSF_NN_TAKE(a->w, BT * S);
    TSF_NN_TAKE(a->o, BT * nn->K);
    TSF_NN_TAKE(a->dout, BT * nn->K);
    TSF_NN_TAKE(a->dh, BT * C);
    TSF_NN_TAKE(a->da, BT * C);
    TSF_NN_TAKE(a->dz, BT * 2 * C);
    TSF_NN_TAKE(a->dcol, BT * KW(c) * C);
    TSF_NN_TAKE(a->ds, BT * S);
    TSF_NN_TAKE(a->dtmp, BT * S);
    TSF_NN_TAKE(a->tmp, BT * CS);
    return off;
}

/* The training pass's threads (CPU backends): the B windows are split
 * over the fit's OpenMP team, thread k of n taking windows [k B / n,
 * (k+1) B / n) through the whole forward and backward pass with one-thread
 * products (one fork per pass instead of one per op, and the gated units,
 * im2col, adds and bias sums run on every thread).  Thread 0 accumulates
 * into grads, thread k > 0 into a buffer of its own after the
 * activations, and the buffers are added to grads element by element in
 * thread order (a static split of the elements): no sum whose order
 * depends on scheduling, so a thread count gives the same bits at every
 * run.  At most TEAM_MAX threads; 1 where the backend's products cannot
 * run on the team's threads (backend.h, team_products: devices, OpenBLAS
 * with threads of its own), inside a parallel region and without OpenMP. */
#define TEAM_MAX 64

static size_t team(const tsf_nn *nn, size_t B)
{
#ifdef _OPENMP
    if (!nn->be->team_products || !nn->be->team_products() || omp_in_parallel()) return 1;
    size_t n = (size_t)omp_get_max_threads();
    n = n < TEAM_MAX ? n : TEAM_MAX;
    return n < B ? n : B;
#else
    (void)nn;
    (void)B;
    return 1;
#endif
}

/* carve's sizes are all multiples of B T, so windows [b0, b1) take the
 * floats from carve(b0) on, and the team's gradient buffers follow
 * carve(B). */
static size_t acts_floats(const tsf_nn *nn, size_t B, size_t T)
{
    return carve(nn, B, T, NULL, NULL) + (team(nn, B) - 1) * nn->nparams;
}

// windows of fb: activations from mem, input gradient rows from dx (or NULL)
static double fb_part(const tsf_nn *nn, const tsf_nn_backend *be, float *mem, float *dx,
                      const float *x, const float *y, size_t B, size_t T, float *o, float *grads,
                      float weight)
{
    const tsf_nn_config *c = &nn->cfg;
    size_t C = (size_t)c->hidden, S = SKIP(c), NL = nlayers(c), KC = KW(c) * C;
    size_t BT = B * T, K = nn->K, F = nn->nin;
    const float *P = nn->params;
    wn_acts a = {0}; /* carve() sets every field; {0} only quiets -O3 */
    carve(nn, B, T, mem, &a);
    be->upload(a.x, x, BT * F);
    be->upload(a.y, y, BT);

    be->matmul_forward(a.h[0], a.x, P + nn->w_in, P + nn->b_in, BT, F, C);
    be->zero(a.skip, BT * S);
    for (size_t i = 0; i < NL; i++) {
        wn_off lo = offsets(nn, i);
        be->dilated_im2col(a.col[i], a.h[i], B, T, C, KW(c), dilation(c, i));
        be->matmul_forward(a.z[i], a.col[i], P + lo.wc, P + lo.bc, BT, KC, 2 * C);
        be->gated_forward(a.a[i], a.z[i], BT, C);
        if (i + 1 < NL) {
            be->matmul_forward(a.tmp, a.a[i], P + lo.wr, P + lo.br, BT, C, C);
            be->residual_forward(a.h[i + 1], a.h[i], a.tmp, BT * C);
        }
        be->matmul_forward(a.tmp, a.a[i], P + lo.ws, P + lo.bs, BT, C, S);
        be->residual_forward(a.skip, a.skip, a.tmp, BT * S);
    }
    be->relu_forward(a.u, a.skip, BT * S);
    be->matmul_forward(a.v, a.u, P + nn->lnf_w, P + nn->lnf_b, BT, S, S);
    be->relu_forward(a.w, a.v, BT * S);
    be->matmul_forward(a.o, a.w, P + nn->w_out, P + nn->b_out, BT, S, K);
    double loss = tsf_nn_head_loss(nn, NULL, grads ? a.dout : NULL, a.o, a.y, BT, weight);
    if (o) be->download(o, a.o, BT * K);
    if (!grads) return loss;

    float *G = grads;
    be->zero(a.dtmp, BT * S);
    be->matmul_backward(a.dtmp, G + nn->w_out, G + nn->b_out, a.dout, a.w, P + nn->w_out, BT,
                        S, K);
    be->zero(a.ds, BT * S);
    be->relu_backward(a.ds, a.v, a.dtmp, BT * S);
    be->zero(a.dtmp, BT * S);
    be->matmul_backward(a.dtmp, G + nn->lnf_w, G + nn->lnf_b, a.ds, a.u, P + nn->lnf_w, BT, S,
                        S);
    be->zero(a.ds, BT * S);
    be->relu_backward(a.ds, a.skip, a.dtmp, BT * S); /* ds: d/d skip sum */
    be->zero(a.dh, BT * C);                          /* dh: d/d h[i+1] */
    for (size_t i = NL; i-- > 0;) {
        wn_off lo = offsets(nn, i);
        be->zero(a.da, BT * C);
        be->matmul_backward(a.da, G + lo.ws, G + lo.bs, a.ds, a.a[i], P + lo.ws, BT, C, S);
        if (i + 1 < NL)
            be->matmul_backward(a.da, G + lo.wr, G + lo.br, a.dh, a.a[i], P + lo.wr, BT, C, C);
        be->gated_backward(a.dz, a.z[i], a.da, BT, C);
        be->zero(a.dcol, BT * KC);
        be->matmul_backward(a.dcol, G + lo.wc, G + lo.bc, a.dz, a.col[i], P + lo.wc, BT, KC,
                            2 * C);
        /* h[i+1] = h[i] + ...: dh carries over, plus the convolution's part */
        be->dilated_col2im(a.dh, a.dcol, B, T, C, KW(c), dilation(c, i));
    }
    if (dx) be->zero(dx, BT * F); /* global models' embeddings: the input gradient */
    be->matmul_backward(dx, G + nn->w_in, G + nn->b_in, a.dh, a.x, P + nn->w_in, BT, F, C);
    return loss;
}

// x (B,T,nin), y (B,T) -> o (B,T,K); returns sum nll; grads += weight * d/dparams
static double fb(const tsf_nn *nn, tsf_nn_acts *A, const float *x, const float *y, size_t B,
                 size_t T, float *o, float *grads, float weight)
{
    size_t n = team(nn, B), np = nn->nparams, F = nn->nin, K = nn->K;
    size_t base = carve(nn, B, T, NULL, NULL);
    const tsf_nn_backend *be = A->infer ? tsf_nn_infer_backend(nn->be) : nn->be;
    while (n > 1 && base + (n - 1) * np > A->size) n--; /* acts made for fewer threads */
    if (n <= 1) return fb_part(nn, be, A->mem, A->dx, x, y, B, T, o, grads, weight);
#ifdef _OPENMP
    double part[TEAM_MAX];
    float *gbuf = A->mem + base;
#pragma omp parallel num_threads((int)n)
    {
        size_t k = (size_t)omp_get_thread_num(), b0 = k * B / n, b1 = (k + 1) * B / n;
        omp_set_num_threads(1); /* this thread's products: one thread each */
        float *g = grads && k ? gbuf + (k - 1) * np : grads;
        if (g && k) nn->be->zero(g, np);
        part[k] = fb_part(nn, be, A->mem + carve(nn, b0, T, NULL, NULL),
                          A->dx ? A->dx + b0 * T * F : NULL, x + b0 * T * F, y + b0 * T,
                          b1 - b0, T, o ? o + b0 * T * K : NULL, g, weight);
        if (grads) {
#pragma omp barrier
#pragma omp for schedule(static)
            for (size_t i = 0; i < np; i++)
                for (size_t j = 1; j < n; j++) grads[i] += gbuf[(j - 1) * np + i];
        }
    }
    double loss = 0.0;
    for (size_t k = 0; k < n; k++) loss += part[k];
    return loss;
#else
    return 0.0; /* team() is 1 without OpenMP */
#endif
}

/* ---- fast generation: one queue per layer ---- */

/* State: layer i's queue (B, qlen(i) C), position p in slot p % qlen(i). */
static size_t state_blocks(const tsf_nn *nn, size_t *n)
{
    size_t NL = nlayers(&nn->cfg);
    for (size_t i = 0; n && i < NL; i++) n[i] = qlen(&nn->cfg, i) * (size_t)nn->cfg.hidden;
    return NL;
}

/* Scratch: h, a (B,C), col (B,KW C), z (B,2C), skip, tmp, u (B,max(C,S)). */
static size_t scratch_floats(const tsf_nn *nn, size_t B)
{
    const tsf_nn_config *c = &nn->cfg;
    size_t C = (size_t)c->hidden, S = SKIP(c), CS = C > S ? C : S;
    return B * (2 * C + KW(c) * C + 2 * C + 3 * CS);
}

// x (B,nin) -> o (B,K) for position r->pos
static void step(const tsf_nn *nn, tsf_nn_run *r, const float *x, float *o)
{
    const tsf_nn_backend *be = nn->be;
    const tsf_nn_config *c = &nn->cfg;
    size_t C = (size_t)c->hidden, S = SKIP(c), NL = nlayers(c), KC = KW(c) * C, B = r->B;
    size_t CS = C > S ? C : S;
    float *h = r->scratch, *a = h + B * C, *col = a + B * C, *z = col + B * KC;
    float *skip = z + 2 * B * C, *tmp = skip + B * CS, *u = tmp + B * CS;
    float *q = r->mem;
    tsf_nn_linear(nn, h, x, nn->w_in, nn->b_in, B, nn->nin, C);
    for (size_t i = 0; i < NL; i++) {
        wn_off lo = offsets(nn, i);
        size_t R = qlen(c, i), d = dilation(c, i), now = r->pos % R;
        /* push this position's input; taps j d back (zeros before the start:
         * those slots have not been written) */
        be->copy2d(q + now * C, R * C, h, C, C, B);
        for (size_t j = 0; j < KW(c); j++)
            be->copy2d(col + j * C, KC, q + ((now + R - j * d) % R) * C, R * C, C, B);
        tsf_nn_linear(nn, z, col, lo.wc, lo.bc, B, KC, 2 * C);
        be->gated_forward(a, z, B, C);
        if (i + 1 < NL) {
            tsf_nn_linear(nn, tmp, a, lo.wr, lo.br, B, C, C);
            be->residual_forward(h, h, tmp, B * C);
        }
        if (i == 0) {
            tsf_nn_linear(nn, skip, a, lo.ws, lo.bs, B, C, S);
        } else {
            tsf_nn_linear(nn, tmp, a, lo.ws, lo.bs, B, C, S);
            be->residual_forward(skip, skip, tmp, B * S);
        }
        q += B * R * C;
    }
    be->relu_forward(u, skip, B * S);
    tsf_nn_linear(nn, tmp, u, nn->lnf_w, nn->lnf_b, B, S, S);
    be->relu_forward(u, tmp, B * S);
    tsf_nn_linear(nn, o, u, nn->w_out, nn->b_out, B, S, nn->K);
}

/* Defaults (docs/neural.md): channels=32, skip=32, kernel=2, stacks=1,
 * layers and context auto. */
static const tsf_nn_hparam hparams[] = {
    {"channels", "hidden", offsetof(tsf_nn_config, hidden), 1, 1024, 32, 0},
    {"skip", "skip", offsetof(tsf_nn_config, hp[0]), 1, 1024, 32, 0},
    {"kernel", "kernel", offsetof(tsf_nn_config, hp[1]), 2, 8, 2, 0},
    {"layers", "layers", offsetof(tsf_nn_config, layers), 1, 16, 0, 1},
    {"stacks", "stacks", offsetof(tsf_nn_config, hp[2]), 1, 4, 1, 0},
    {"context", "context", offsetof(tsf_nn_config, context), 2, 4096, 0, 1},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const tsf_nn_need needs[] = {
    TSF_NN_NEED(dilated_im2col), TSF_NN_NEED(dilated_col2im), TSF_NN_NEED(gated_forward),
    TSF_NN_NEED(gated_backward), TSF_NN_NEED(relu_forward),   TSF_NN_NEED(relu_backward),
    {NULL, 0},
};

const tsf_nn_arch_ops tsf_nn_arch_wavenet = {
    .name = "wavenet", .title = "WaveNet", .hp = hparams, .batch = 32, .lr = 3e-3,
    .check = check, .configure = configure, .reach = reach, .layout = layout, .init = init,
    .acts_floats = acts_floats, .fb = fb, .state_blocks = state_blocks,
    .scratch_floats = scratch_floats, .step = step, .needs = needs};

static tsf_status parse_wavenet(const tsf_spec *s, void **impl)
{
    return tsf_neural_parse(s, &tsf_nn_arch_wavenet, impl);
}
TSF_NEURAL_TYPE(tsf_wavenet_type, "wavenet", parse_wavenet);
