/* Finite-difference checks of every layer's backward pass of the neural
 * CPU reference (src/neural/cpu_*.c) and of the whole networks' loss:
 * central differences of L = sum(out * R) (R random) in fp32 with the
 * loss accumulated in double, against the analytic gradients. */
#include "testutil.h"
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include "neural/cpu_ops.h"
#include "neural/backend.h"
#include "neural/net.h"
#include "fd_check.h"

static gsl_rng *rng;

static void randn(float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)gsl_ran_gaussian(rng, sd);
}

static float *fa(size_t n) { float *p = calloc(n ? n : 1, sizeof(float)); assert_non_null(p); return p; }

static double dotd(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static const tsf_nn_backend *be;

/* ---- linear ---- */
typedef struct { size_t BT, C, OC; float *inp, *w, *b, *out, *R; } lin_ctx;
static double lin_loss(void *v)
{
    lin_ctx *c = v;
    be->matmul_forward(c->out, c->inp, c->w, c->b, c->BT, c->C, c->OC);
    return dotd(c->out, c->R, c->BT * c->OC);
}

static void test_linear(void **state)
{
    (void)state;
    lin_ctx c = {5, 7, 4, NULL, NULL, NULL, NULL, NULL};
    c.inp = fa(35); c.w = fa(28); c.b = fa(4); c.out = fa(20); c.R = fa(20);
    randn(c.inp, 35, 1); randn(c.w, 28, 0.5); randn(c.b, 4, 0.5); randn(c.R, 20, 1);
    float *di = fa(35), *dw = fa(28), *db = fa(4);
    be->matmul_backward(di, dw, db, c.R, c.inp, c.w, 5, 7, 4);
    check("linear dinp", lin_loss, &c, c.inp, di, 35, 1e-2f, 1e-3);
    check("linear dweight", lin_loss, &c, c.w, dw, 28, 1e-2f, 1e-3);
    check("linear dbias", lin_loss, &c, c.b, db, 4, 1e-2f, 1e-3);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.R); free(di); free(dw); free(db);
}

/* ---- layernorm ---- */
typedef struct { size_t BT, C; float *inp, *w, *b, *out, *m, *r, *R; } ln_ctx;
static double ln_loss(void *v)
{
    ln_ctx *c = v;
    be->layernorm_forward(c->out, c->m, c->r, c->inp, c->w, c->b, c->BT, c->C);
    return dotd(c->out, c->R, c->BT * c->C);
}

static void test_layernorm(void **state)
{
    (void)state;
    ln_ctx c = {4, 8, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    c.inp = fa(32); c.w = fa(8); c.b = fa(8); c.out = fa(32); c.m = fa(4); c.r = fa(4); c.R = fa(32);
    randn(c.inp, 32, 1); randn(c.w, 8, 1); randn(c.b, 8, 1); randn(c.R, 32, 1);
    ln_loss(&c);
    float *di = fa(32), *dw = fa(8), *db = fa(8);
    be->layernorm_backward(di, dw, db, c.R, c.inp, c.w, c.m, c.r, 4, 8);
    check("layernorm dinp", ln_loss, &c, c.inp, di, 32, 1e-2f, 2e-3);
    check("layernorm dweight", ln_loss, &c, c.w, dw, 8, 1e-2f, 1e-3);
    check("layernorm dbias", ln_loss, &c, c.b, db, 8, 1e-2f, 1e-3);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.m); free(c.r); free(c.R);
    free(di); free(dw); free(db);
}

/* ---- GELU (the MLP's nonlinearity) ---- */
typedef struct { size_t n; float *inp, *out, *R; } gelu_ctx;
static double gelu_loss(void *v)
{
    gelu_ctx *c = v;
    be->gelu_forward(c->out, c->inp, c->n);
    return dotd(c->out, c->R, c->n);
}

static void test_gelu(void **state)
{
    (void)state;
    gelu_ctx c = {40, fa(40), fa(40), fa(40)};
    randn(c.inp, 40, 2); randn(c.R, 40, 1);
    float *di = fa(40);
    be->gelu_backward(di, c.inp, c.R, 40);
    check("gelu dinp", gelu_loss, &c, c.inp, di, 40, 1e-2f, 2e-3);
    /* GELU(x) ~ x Phi(x): the tanh form is within 1e-3 of the exact one */
    gelu_loss(&c);
    for (size_t i = 0; i < 40; i++)
        assert_close(c.out[i], c.inp[i] * gsl_cdf_ugaussian_P(c.inp[i]), 2e-3);
    free(c.inp); free(c.out); free(c.R); free(di);
}

/* ---- GRU cell ---- */
typedef struct { size_t B, H; float *xg, *hg, *hp, *h, *gates, *R; } gru_ctx;
static double gru_loss(void *v)
{
    gru_ctx *c = v;
    be->gru_forward(c->h, c->gates, c->xg, c->hg, c->hp, c->B, c->H);
    return dotd(c->h, c->R, c->B * c->H);
}

static void test_gru(void **state)
{
    (void)state;
    size_t B = 3, H = 5;
    gru_ctx c = {B, H, fa(B * 3 * H), fa(B * 3 * H), fa(B * H), fa(B * H), fa(B * 3 * H), fa(B * H)};
    randn(c.xg, B * 3 * H, 1); randn(c.hg, B * 3 * H, 1); randn(c.hp, B * H, 0.7);
    randn(c.R, B * H, 1);
    gru_loss(&c);
    float *dxg = fa(B * 3 * H), *dhg = fa(B * 3 * H), *dhp = fa(B * H);
    be->gru_backward(dxg, dhg, dhp, c.R, c.gates, c.hg, c.hp, B, H);
    check("gru dxg", gru_loss, &c, c.xg, dxg, B * 3 * H, 1e-2f, 2e-3);
    check("gru dhg", gru_loss, &c, c.hg, dhg, B * 3 * H, 1e-2f, 2e-3);
    check("gru dh_prev", gru_loss, &c, c.hp, dhp, B * H, 1e-2f, 2e-3);
    free(c.xg); free(c.hg); free(c.hp); free(c.h); free(c.gates); free(c.R);
    free(dxg); free(dhg); free(dhp);
}

/* ---- LSTM cell ---- */
typedef struct { size_t B, H; float *pre, *cp, *h, *c, *gates, *R1, *R2; } lstm_ctx;
static double lstm_loss(void *v)
{
    lstm_ctx *c = v;
    be->lstm_forward(c->h, c->c, c->gates, c->pre, c->cp, c->B, c->H);
    return dotd(c->h, c->R1, c->B * c->H) + dotd(c->c, c->R2, c->B * c->H);
}

static void test_lstm(void **state)
{
    (void)state;
    size_t B = 3, H = 4;
    lstm_ctx c = {B, H, fa(B * 4 * H), fa(B * H), fa(B * H), fa(B * H), fa(B * 4 * H), fa(B * H),
                  fa(B * H)};
    randn(c.pre, B * 4 * H, 1); randn(c.cp, B * H, 1); randn(c.R1, B * H, 1);
    randn(c.R2, B * H, 1);
    lstm_loss(&c);
    float *dpre = fa(B * 4 * H), *dcp = fa(B * H);
    be->lstm_backward(dpre, dcp, c.R1, c.R2, c.gates, c.c, c.cp, B, H);
    check("lstm dpre", lstm_loss, &c, c.pre, dpre, B * 4 * H, 1e-2f, 2e-3);
    check("lstm dc_prev", lstm_loss, &c, c.cp, dcp, B * H, 1e-2f, 2e-3);
    free(c.pre); free(c.cp); free(c.h); free(c.c); free(c.gates); free(c.R1); free(c.R2);
    free(dpre); free(dcp);
}

/* ---- attention (window smaller than T, so the band is exercised) ---- */
typedef struct { size_t B, T, C, NH, W; float *qkv, *out, *att, *R; } att_ctx;
static double att_loss(void *v)
{
    att_ctx *c = v;
    be->attention_forward(c->out, c->att, c->qkv, c->B, c->T, c->C, c->NH, c->W);
    return dotd(c->out, c->R, c->B * c->T * c->C);
}

static void test_attention(void **state)
{
    (void)state;
    size_t B = 2, T = 7, C = 8, NH = 2, W = 4;
    att_ctx c = {B, T, C, NH, W, fa(B * T * 3 * C), fa(B * T * C), fa(B * NH * T * T),
                 fa(B * T * C)};
    randn(c.qkv, B * T * 3 * C, 1); randn(c.R, B * T * C, 1);
    att_loss(&c);
    float *dqkv = fa(B * T * 3 * C), *datt = fa(B * NH * T * T);
    be->attention_backward(dqkv, datt, c.R, c.qkv, c.att, B, T, C, NH, W);
    check("attention dqkv", att_loss, &c, c.qkv, dqkv, B * T * 3 * C, 1e-2f, 3e-3);
    /* the KV-cache step gives the same outputs */
    att_loss(&c);
    float *kc = fa(B * W * C), *vc = fa(B * W * C), *q = fa(B * C), *o = fa(B * C), *sc = fa(NH * W);
    for (size_t t = 0; t < T; t++) {
        for (size_t b = 0; b < B; b++) {
            const float *r = c.qkv + (b * T + t) * 3 * C;
            memcpy(q + b * C, r, C * sizeof(float));
            memcpy(kc + (b * W + t % W) * C, r + C, C * sizeof(float));
            memcpy(vc + (b * W + t % W) * C, r + 2 * C, C * sizeof(float));
        }
        be->attention_step(o, q, kc, vc, B, C, NH, W, t, sc);
        for (size_t b = 0; b < B; b++)
            for (size_t i = 0; i < C; i++)
                assert_close(o[b * C + i], c.out[(b * T + t) * C + i], 1e-5);
    }
    free(c.qkv); free(c.out); free(c.att); free(c.R); free(dqkv); free(datt);
    free(kc); free(vc); free(q); free(o); free(sc);
}

/* Long sequences: several blocks of query rows and a window that cuts
 * into them (T = 150, W = 100). */
static void test_attention_long(void **state)
{
    (void)state;
    size_t B = 1, T = 150, C = 8, NH = 2, W = 100;
    att_ctx c = {B, T, C, NH, W, fa(B * T * 3 * C), fa(B * T * C), fa(B * NH * T * T),
                 fa(B * T * C)};
    randn(c.qkv, B * T * 3 * C, 1); randn(c.R, B * T * C, 1);
    att_loss(&c);
    float *dqkv = fa(B * T * 3 * C), *datt = fa(B * NH * T * T);
    be->attention_backward(dqkv, datt, c.R, c.qkv, c.att, B, T, C, NH, W);
    /* the loss sums 1200 outputs: fp32 rounding noise calls for a larger step */
    check("attention (T=150, W=100) dqkv", att_loss, &c, c.qkv, dqkv, B * T * 3 * C, 4e-2f, 1e-2);
    att_loss(&c);
    float *kc = fa(W * C), *vc = fa(W * C), *q = fa(C), *o = fa(C), *sc = fa(NH * W);
    for (size_t t = 0; t < T; t++) {
        const float *r = c.qkv + t * 3 * C;
        memcpy(q, r, C * sizeof(float));
        memcpy(kc + (t % W) * C, r + C, C * sizeof(float));
        memcpy(vc + (t % W) * C, r + 2 * C, C * sizeof(float));
        be->attention_step(o, q, kc, vc, 1, C, NH, W, t, sc);
        for (size_t i = 0; i < C; i++) assert_close(o[i], c.out[t * C + i], 1e-5);
    }
    free(c.qkv); free(c.out); free(c.att); free(c.R); free(dqkv); free(datt);
    free(kc); free(vc); free(q); free(o); free(sc);
}

/* ---- heads ---- */
typedef struct { size_t n; tsf_nn_head head; float *o, *y; } head_ctx;
static double head_loss(void *v)
{
    head_ctx *c = v;
    return be->head_loss(NULL, NULL, c->o, c->y, c->n, c->head, 1.0f);
}

static void run_head(tsf_nn_head head, const char *name)
{
    size_t n = 9, K = tsf_nn_head_k(head);
    head_ctx c = {n, head, fa(n * K), fa(n)};
    randn(c.o, n * K, 1); randn(c.y, n, 1.5);
    c.y[4] = NAN; /* masked */
    float *d = fa(n * K), *nll = fa(n), *mu = fa(n), *sg = fa(n), *nu = fa(n);
    be->head_loss(nll, d, c.o, c.y, n, head, 1.0f);
    check(name, head_loss, &c, c.o, d, n * K, 1e-2f, 2e-3);
    /* the log density against GSL's densities */
    be->head_params(mu, sg, nu, c.o, n, head);
    for (size_t i = 0; i < n; i++) {
        if (isnan(c.y[i])) {
            assert_true(nll[i] == 0.0f && d[i * K] == 0.0f && d[i * K + 1] == 0.0f);
            continue;
        }
        double z = (c.y[i] - mu[i]) / sg[i];
        double p = head == TSF_NN_HEAD_GAUSSIAN ? gsl_ran_ugaussian_pdf(z)
                                                : gsl_ran_tdist_pdf(z, nu[i]);
        assert_true(sg[i] > 0.0f);
        if (head == TSF_NN_HEAD_STUDENT_T) assert_true(nu[i] > 2.0f);
        assert_close(nll[i], -log(p / sg[i]), 2e-5 * (1.0 + fabs(nll[i])));
    }
    free(c.o); free(c.y); free(d); free(nll); free(mu); free(sg); free(nu);
}

static void test_heads(void **state)
{
    (void)state;
    run_head(TSF_NN_HEAD_GAUSSIAN, "gaussian head d/do");
    run_head(TSF_NN_HEAD_STUDENT_T, "student-t head d/do");
}

/* ---- mixture and binned heads ---- */
typedef struct { size_t n, K; tsf_nn_config cfg; float *o, *y; } mh_ctx;
static double mh_loss(void *v)
{
    mh_ctx *c = v;
    return tsf_nn_head_get(c->cfg.head)->loss(be, &c->cfg, NULL, NULL, c->o, c->y, c->n, 1.0f);
}

/* density of one position's outputs at z, through the head's loss */
typedef struct { const tsf_nn_config *cfg; const float *o; } dens_ctx;
static double dens(double z, void *v)
{
    dens_ctx *c = v;
    float zf = (float)z;
    return exp(-tsf_nn_head_get(c->cfg->head)->loss(be, c->cfg, NULL, NULL, c->o, &zf, 1, 1.0f));
}

/* integral of the density over the real line: Gauss-Kronrod quadrature
 * over each smooth piece (each bin, each tail; the tails and the mixture
 * mapped to finite intervals by GSL's qagi*) */
static double integral(const tsf_nn_config *cfg, const float *o)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(2000);
    dens_ctx c = {cfg, o};
    gsl_function F = {dens, &c};
    double tot = 0.0, r, err;
    if (cfg->head == TSF_NN_HEAD_MIXTURE) {
        assert_int_equal(gsl_integration_qagi(&F, 1e-9, 1e-7, 2000, w, &r, &err), 0);
        tot = r;
    } else {
        double lo = (float)cfg->head_lo, hi = (float)cfg->head_hi;
        size_t N = (size_t)cfg->head_n;
        double bw = (hi - lo) / (double)(N - 2);
        assert_int_equal(gsl_integration_qagil(&F, lo, 1e-9, 1e-7, 2000, w, &r, &err), 0);
        tot += r;
        assert_int_equal(gsl_integration_qagiu(&F, hi, 1e-9, 1e-7, 2000, w, &r, &err), 0);
        tot += r;
        for (size_t j = 0; j + 2 < N; j++) {
            /* the inner part of each bin (float rounding moves the edges
             * by ~1e-7 widths), plus the sliver at each edge by the bin's
             * own constant density */
            double a = lo + (double)j * bw, b = j + 3 == N ? hi : a + bw, e = 1e-5 * bw;
            size_t neval;
            assert_int_equal(gsl_integration_qng(&F, a + e, b - e, 1e-11, 1e-9, &r, &err,
                                                 &neval), 0);
            tot += r + 2.0 * e * dens(0.5 * (a + b), &c);
        }
    }
    gsl_integration_workspace_free(w);
    return tot;
}

static void run_head2(tsf_nn_config cfg, const char *name)
{
    const tsf_nn_head_ops *hd = tsf_nn_head_get(cfg.head);
    size_t n = 7, K = hd->k(&cfg);
    mh_ctx c = {n, K, cfg, fa(n * K), fa(n)};
    randn(c.o, n * K, 1); randn(c.y, n, 1.5);
    c.y[2] = NAN;           /* masked */
    c.y[5] = -7.0f;         /* far out: the binned head's lower tail */
    c.y[6] = 9.0f;          /* upper tail */
    float *d = fa(n * K), *nll = fa(n);
    hd->loss(be, &cfg, nll, d, c.o, c.y, n, 1.0f);
    char what[64];
    snprintf(what, sizeof what, "%s head d/do", name);
    check(what, mh_loss, &c, c.o, d, n * K, 1e-2f, 2e-3);
    for (size_t k = 0; k < K; k++) assert_true(nll[2] == 0.0f && d[2 * K + k] == 0.0f);
    /* the log density against an independent formula */
    for (size_t i = 0; i < n; i++) {
        if (isnan(c.y[i])) continue;
        const float *p = c.o + i * K;
        double dn = 0.0, Z = 0.0;
        if (cfg.head == TSF_NN_HEAD_MIXTURE) {
            size_t M = K / 3;
            for (size_t k = 0; k < M; k++) Z += exp(p[k]);
            for (size_t k = 0; k < M; k++) {
                double sg = log1p(exp(p[2 * M + k])) + TSF_NN_SIGMA_MIN;
                dn += exp(p[k]) / Z * gsl_ran_gaussian_pdf(c.y[i] - p[M + k], sg);
            }
        } else {
            double lo = (float)cfg.head_lo, hi = (float)cfg.head_hi, y = c.y[i];
            double tau = (hi - lo) / 16.0, bw = (hi - lo) / (double)(K - 2);
            for (size_t k = 0; k < K; k++) Z += exp(p[k]);
            if (y < lo) dn = exp(p[0]) / Z * exp(-(lo - y) / tau) / tau;
            else if (y > hi) dn = exp(p[K - 1]) / Z * exp(-(y - hi) / tau) / tau;
            else {
                size_t j = (size_t)((y - lo) / bw);
                if (j > K - 3) j = K - 3;
                dn = exp(p[1 + j]) / Z / bw;
            }
        }
        assert_close(nll[i], -log(dn), 2e-5 * (1.0 + fabs(nll[i])));
    }
    /* each position's density integrates to 1, tails included */
    for (size_t i = 0; i < 3; i++) {
        double I = integral(&cfg, c.o + i * K);
        print_message("%s head: integral of the density %.10f\n", name, I);
        assert_close(I, 1.0, 1e-6);
    }
    /* draws: their mean and variance are the head's moments */
    size_t S = 200000;
    double mean, var, s1 = 0.0, s2 = 0.0;
    hd->moments(&cfg, c.o, &mean, &var);
    for (size_t k = 0; k < S; k++) {
        /* the quantile of a uniform draw (mixture, binned) */
        double z = hd->draw(&cfg, c.o, gsl_rng_uniform_pos(rng));
        s1 += z;
        s2 += z * z;
    }
    double sm = s1 / (double)S, sv = s2 / (double)S - sm * sm;
    print_message("%s head: sample mean %.4f (moments %.4f), variance %.4f (%.4f)\n", name, sm,
                  mean, sv, var);
    assert_close(sm, mean, 5.0 * sqrt(var / (double)S));
    assert_close(sv, var, 0.02 * var);
    free(c.o); free(c.y); free(d); free(nll);
}

static void test_heads_mixture_binned(void **state)
{
    (void)state;
    tsf_nn_config c = {.head = TSF_NN_HEAD_MIXTURE, .head_n = 3};
    run_head2(c, "mixture(3)");
    c.head_n = 1;
    run_head2(c, "mixture(1)");
    tsf_nn_config b = {.head = TSF_NN_HEAD_BINNED, .head_n = 16, .head_lo = -2.5,
                       .head_hi = 3.0};
    run_head2(b, "binned(16)");
    b.head_n = 64;
    run_head2(b, "binned(64)");
}

/* ---- whole networks: the loss w.r.t. a sample of every tensor ---- */
typedef struct { tsf_nn *nn; tsf_nn_acts *a; float *x, *y; size_t B, T; } net_ctx;
static double net_loss(void *v)
{
    net_ctx *c = v;
    return tsf_nn_forward_backward(c->nn, c->a, c->x, c->y, c->B, c->T, NULL, NULL, 1.0f);
}

/* hp: the architecture's hyperparameters (wavenet's skip, kernel, stacks;
 * attention=additive: transformer hp[3] = 1, RNN hp[0] = 1, window hp[1];
 * the transformer's pattern hp[0], band hp[1], cross=true hp[2]);
 * nextra > 0: that many regressor features per position (the input path
 * of --xreg), random values. */
static void run_net_hp(const tsf_nn_arch_ops *arch, tsf_nn_head head, const char *name,
                       int context, size_t T, const int *hp, double tol, int nextra)
{
    tsf_nn_config cfg = {.arch = arch, .head = head, .hidden = 8, .layers = 2, .heads = 2,
                         .context = context, .period = 3,
                         .head_n = head == TSF_NN_HEAD_BINNED ? 16 : 2,
                         .head_lo = -2.0, .head_hi = 2.0, .nextra = nextra};
    memcpy(cfg.hp, hp, sizeof cfg.hp);
    tsf_nn *nn;
    assert_int_equal(tsf_nn_new(&cfg, &nn), TSF_OK);
    tsf_nn_init(nn, 7);
    /* perturb the zero-initialised tensors so every path carries gradient */
    for (size_t i = 0; i < nn->nparams; i++)
        nn->params[i] += (float)gsl_ran_gaussian(rng, 0.1);
    /* wavenet: keep the values entering its ReLUs away from the kink, which
     * a finite difference step may cross (relu_backward has its own check) */
    for (size_t k = 0; k < nn->ntens; k++) {
        const char *nm = nn->tens[k].name;
        if (strstr(nm, "skip.bias") || !strcmp(nm, "out.bias"))
            for (size_t i = 0; i < nn->tens[k].shape[0]; i++) nn->params[nn->tens[k].off + i] += 1.0f;
    }
    size_t B = 2;
    net_ctx c = {nn, NULL, fa(B * T * nn->nin), fa(B * T), B, T};
    assert_int_equal(tsf_nn_acts_new(nn, B, T, &c.a), TSF_OK);
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            double prev = gsl_ran_gaussian(rng, 1), lag = t % 4 == 1 ? NAN : gsl_ran_gaussian(rng, 1);
            double ex[4] = {0};
            for (int j = 0; j < nextra && j < 4; j++) ex[j] = gsl_ran_gaussian(rng, 1);
            tsf_nn_input(nn, prev, lag, ex, c.x + (b * T + t) * nn->nin);
            c.y[b * T + t] = (float)gsl_ran_gaussian(rng, 1);
        }
    c.y[3] = NAN;
    float *g = fa(nn->nparams);
    tsf_nn_forward_backward(nn, c.a, c.x, c.y, B, T, NULL, g, 1.0f);
    check_net(name, net_loss, &c, nn, g, tol);
    tsf_nn_acts_free(c.a);
    free(c.x); free(c.y); free(g);
    tsf_nn_free(nn);
}

static void run_net(const tsf_nn_arch_ops *arch, tsf_nn_head head, const char *name)
{
    static const int wn[4] = {5, 2, 2, 0}, tf[4] = {0, 8, 0, 0}; /* wavenet: skip 5, kernel 2, 2 stacks */
    run_net_hp(arch, head, name, 4, 6, arch == &tsf_nn_arch_transformer ? tf : wn, 1e-2, 0);
}

/* the regressor input path: extra features at every position */
static void test_net_xreg(void **state)
{
    (void)state;
    static const int wn[4] = {5, 2, 2, 0}, tf[4] = {0, 8, 0, 0}, rnn[4] = {0};
    static const int cross[4] = {0, 8, 1, 0}; /* transformer(cross=true) */
    run_net_hp(&tsf_nn_arch_gru, TSF_NN_HEAD_GAUSSIAN, "gru+xreg", 4, 6, rnn, 1e-2, 3);
    run_net_hp(&tsf_nn_arch_lstm, TSF_NN_HEAD_GAUSSIAN, "lstm+xreg", 4, 6, rnn, 1e-2, 2);
    run_net_hp(&tsf_nn_arch_transformer, TSF_NN_HEAD_GAUSSIAN, "transformer+xreg", 4, 6, tf, 1e-2,
               4);
    run_net_hp(&tsf_nn_arch_wavenet, TSF_NN_HEAD_GAUSSIAN, "wavenet+xreg", 4, 6, wn, 1e-2, 1);
    /* transformer(cross=true): the cross-attention sublayers and the
     * covariate encoding (its tensors are among those checked) */
    run_net_hp(&tsf_nn_arch_transformer, TSF_NN_HEAD_GAUSSIAN, "transformer(cross)", 4, 6, cross,
               1e-2, 3);
}

/* attention=additive: every tensor, the attention's included */
static void test_net_additive(void **state)
{
    (void)state;
    static const int tf[4] = {0, 0, 0, 1}, rnn[4] = {1, 3, 0, 0};
    run_net_hp(&tsf_nn_arch_transformer, TSF_NN_HEAD_STUDENT_T, "transformer(additive)", 4, 6, tf, 1e-2, 0);
    run_net_hp(&tsf_nn_arch_gru, TSF_NN_HEAD_GAUSSIAN, "gru(additive)", 4, 6, rnn, 1e-2, 0);
    run_net_hp(&tsf_nn_arch_lstm, TSF_NN_HEAD_MIXTURE, "lstm(additive)", 4, 6, rnn, 1e-2, 0);
}

/* The sparse attention patterns (pattern kind, band in hp) through the
 * whole network: windows of 12 over a context of 9 (rows past the span).
 * Tolerance 3e-2: the fp32 loss over 24 positions puts ~1e-4 of rounding
 * into a central difference with h = 1e-2, which is a few percent of the
 * smallest gradients here (the attention kernels themselves are checked
 * to 2e-5 against double-precision differences in test_sparse_attention). */
static void test_net_transformer_patterns(void **state)
{
    (void)state;
    static const int hp[][4] = {{0, 8, 0, 0}, {1, 2, 0, 0}, {2, 1, 0, 0}, {3, 8, 0, 0}};
    static const char *const nm[] = {"transformer dense", "transformer local", "transformer logsparse",
                                     "transformer strided"};
    for (size_t i = 0; i < 4; i++)
        run_net_hp(&tsf_nn_arch_transformer, TSF_NN_HEAD_GAUSSIAN, nm[i], 9, 12, hp[i], 3e-2, 0);
}

static void test_net_gru(void **state)
{
    (void)state;
    run_net(&tsf_nn_arch_gru, TSF_NN_HEAD_GAUSSIAN, "gru");
}

static void test_net_lstm(void **state)
{
    (void)state;
    run_net(&tsf_nn_arch_lstm, TSF_NN_HEAD_STUDENT_T, "lstm");
}

static void test_net_transformer(void **state)
{
    (void)state;
    run_net(&tsf_nn_arch_transformer, TSF_NN_HEAD_STUDENT_T, "transformer");
}

/* ---- dilated causal convolution (im2col + linear), gated unit, ReLU ---- */
typedef struct { size_t B, T, C, KW, dil, OC; float *inp, *col, *w, *b, *out, *R; } conv_ctx;
static double conv_loss(void *v)
{
    conv_ctx *c = v;
    be->dilated_im2col(c->col, c->inp, c->B, c->T, c->C, c->KW, c->dil);
    be->matmul_forward(c->out, c->col, c->w, c->b, c->B * c->T, c->KW * c->C, c->OC);
    return dotd(c->out, c->R, c->B * c->T * c->OC);
}

static void test_dilated_conv(void **state)
{
    (void)state;
    size_t B = 2, T = 9, C = 3, KW = 3, dil = 2, OC = 4, n = B * T * C, KC = KW * C;
    conv_ctx c = {B, T, C, KW, dil, OC, fa(n), fa(B * T * KC), fa(OC * KC), fa(OC),
                  fa(B * T * OC), fa(B * T * OC)};
    randn(c.inp, n, 1); randn(c.w, OC * KC, 0.5); randn(c.b, OC, 0.5); randn(c.R, B * T * OC, 1);
    conv_loss(&c);
    /* against the direct sum: out[b,t,o] = b_o + sum_j,c w[o, j C + c] inp[b, t - j dil, c] */
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++)
            for (size_t o = 0; o < OC; o++) {
                double v = c.b[o];
                for (size_t j = 0; j < KW; j++)
                    for (size_t k = 0; k < C && t >= j * dil; k++)
                        v += (double)c.w[o * KC + j * C + k] * c.inp[(b * T + t - j * dil) * C + k];
                assert_close(c.out[(b * T + t) * OC + o], v, 1e-5);
            }
    float *dcol = fa(B * T * KC), *di = fa(n), *dw = fa(OC * KC), *db = fa(OC);
    be->matmul_backward(dcol, dw, db, c.R, c.col, c.w, B * T, KC, OC);
    be->dilated_col2im(di, dcol, B, T, C, KW, dil);
    check("dilated conv dinp", conv_loss, &c, c.inp, di, n, 1e-2f, 1e-3);
    check("dilated conv dweight", conv_loss, &c, c.w, dw, OC * KC, 1e-2f, 1e-3);
    check("dilated conv dbias", conv_loss, &c, c.b, db, OC, 1e-2f, 1e-3);
    free(c.inp); free(c.col); free(c.w); free(c.b); free(c.out); free(c.R);
    free(dcol); free(di); free(dw); free(db);
}

typedef struct { size_t N, C; float *z, *out, *R; int relu; } gate_ctx;
static double gate_loss(void *v)
{
    gate_ctx *c = v;
    if (c->relu) be->relu_forward(c->out, c->z, c->N * c->C);
    else be->gated_forward(c->out, c->z, c->N, c->C);
    return dotd(c->out, c->R, c->N * c->C);
}

static void test_gated_relu(void **state)
{
    (void)state;
    size_t N = 5, C = 4;
    gate_ctx c = {N, C, fa(2 * N * C), fa(N * C), fa(N * C), 0};
    randn(c.z, 2 * N * C, 1.5); randn(c.R, N * C, 1);
    gate_loss(&c);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < C; k++)
            assert_close(c.out[i * C + k], tanh(c.z[i * 2 * C + k]) /
                                                (1.0 + exp(-c.z[i * 2 * C + C + k])), 1e-6);
    float *dz = fa(2 * N * C);
    be->gated_backward(dz, c.z, c.R, N, C);
    check("gated unit dz", gate_loss, &c, c.z, dz, 2 * N * C, 1e-2f, 1e-3);
    c.relu = 1;
    for (size_t i = 0; i < N * C; i++)
        if (fabsf(c.z[i]) < 0.05f) c.z[i] = 0.3f; /* away from the kink */
    memset(dz, 0, 2 * N * C * sizeof *dz);
    be->relu_backward(dz, c.z, c.R, N * C);
    check("relu dinp", gate_loss, &c, c.z, dz, N * C, 1e-2f, 1e-3);
    free(c.z); free(c.out); free(c.R); free(dz);
}


static void test_net_wavenet(void **state)
{
    (void)state;
    run_net(&tsf_nn_arch_wavenet, TSF_NN_HEAD_GAUSSIAN, "wavenet");
    run_net(&tsf_nn_arch_wavenet, TSF_NN_HEAD_STUDENT_T, "wavenet+student-t");
    run_net(&tsf_nn_arch_wavenet, TSF_NN_HEAD_MIXTURE, "wavenet+mixture");
    run_net(&tsf_nn_arch_wavenet, TSF_NN_HEAD_BINNED, "wavenet+binned");
}

/* every head on every architecture */
static void test_net_heads(void **state)
{
    (void)state;
    run_net(&tsf_nn_arch_gru, TSF_NN_HEAD_MIXTURE, "gru+mixture");
    run_net(&tsf_nn_arch_lstm, TSF_NN_HEAD_BINNED, "lstm+binned");
    run_net(&tsf_nn_arch_transformer, TSF_NN_HEAD_MIXTURE, "transformer+mixture");
    run_net(&tsf_nn_arch_transformer, TSF_NN_HEAD_BINNED, "transformer+binned");
}

int main(void)
{
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    be = tsf_nn_backend_cpu();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),     cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_gelu),       cmocka_unit_test(test_gru),
        cmocka_unit_test(test_lstm),       cmocka_unit_test(test_attention),
        cmocka_unit_test(test_attention_long),
        cmocka_unit_test(test_heads),      cmocka_unit_test(test_net_gru),
        cmocka_unit_test(test_net_lstm),   cmocka_unit_test(test_net_transformer),
        cmocka_unit_test(test_heads_mixture_binned), cmocka_unit_test(test_net_heads),
        cmocka_unit_test(test_dilated_conv), cmocka_unit_test(test_gated_relu),
        cmocka_unit_test(test_net_wavenet), cmocka_unit_test(test_net_xreg),
        cmocka_unit_test(test_net_additive), cmocka_unit_test(test_net_transformer_patterns),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gsl_rng_free(rng);
    return rc;
}
